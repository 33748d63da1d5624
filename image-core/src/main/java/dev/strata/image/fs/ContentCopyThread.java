package dev.strata.image.fs;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;

/**
 * The second thread of a {@link TreeCopier}: the walk creates every name (so directory times, hard links and the
 * order of directory metadata stay the walk's business) and hands over each new file with both fds open; this thread
 * copies its content, owner, xattrs, mode and times and closes both fds. Neither the content nor the metadata of a
 * file changes anything in its directory, so the walk may finish the directory meanwhile. The first failure stops
 * the copying (later files are only closed) and is thrown to the walk at its next hand-over or at the end.
 */
final class ContentCopyThread {
    /** Files handed to the content thread at a time: one queue operation per batch, not per file. */
    private static final int BATCH = 64;
    /** Batches in flight: bounds the fds held open for the content thread (two per file). */
    private static final int BATCHES_QUEUED = 4;

    /** A regular file whose copy was created: its content and metadata are still to be copied. */
    record Job(int in, int out, EntryMeta meta, WalkFrame dir, byte[] name) {
    }

    private final NewFileFiller filler;
    private final ArrayBlockingQueue<Job[]> queue = new ArrayBlockingQueue<>(BATCHES_QUEUED);
    private final Thread thread;
    private Job[] batch = new Job[BATCH];
    private int n;
    private boolean done;
    private volatile Throwable failure;
    private volatile boolean aborted;

    /** Starts the thread; {@code filler} is its own, not the walk's. */
    ContentCopyThread(NewFileFiller filler) {
        this.filler = filler;
        this.thread = new Thread(this::run, "strata-tree-copy");
        thread.setDaemon(true);
        thread.start();
    }

    /** Hands over a file; from now on this thread closes both of its fds. */
    void add(Job job) throws IOException {
        batch[n++] = job;
        if (n == BATCH) {
            flush();
        }
    }

    /** Waits until every file handed over is copied; throws the first failure. */
    void finish() throws IOException {
        if (n > 0) {
            flush();
        }
        put(new Job[0]);
        joinUninterruptibly();
        done = true;
        throwFailure();
    }

    /** After a failure of the walk: stops the thread and closes the fds of every file not copied. */
    void abort() {
        if (done) {
            return;
        }
        done = true;
        aborted = true;
        thread.interrupt();
        joinUninterruptibly();
        List<Job[]> left = new ArrayList<>();
        queue.drainTo(left);
        left.add(batch);
        for (Job[] b : left) {
            close(b);
        }
    }

    private void flush() throws IOException {
        throwFailure();
        Job[] full = batch;
        batch = new Job[BATCH];
        n = 0;
        put(full);
    }

    private void put(Job[] b) throws IOException {
        try {
            queue.put(b);
        } catch (InterruptedException e) {
            close(b);
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("tree copy interrupted");
        }
    }

    private void run() {
        while (true) {
            Job[] b;
            try {
                b = queue.take();
            } catch (InterruptedException e) {
                return; // aborted: the walk closes what is left
            }
            if (b.length == 0) {
                return;
            }
            for (Job j : b) {
                if (j == null) {
                    break;
                }
                if (failure != null || aborted) {
                    Native.closeQuietly(j.in());
                    Native.closeQuietly(j.out());
                    continue;
                }
                try {
                    filler.fill(j.in(), j.out(), j.meta(), j.dir(), j.name());
                } catch (Throwable t) {
                    failure = t;
                } finally {
                    Native.closeQuietly(j.in());
                }
            }
        }
    }

    private void throwFailure() throws IOException {
        Throwable t = failure;
        if (t instanceof IOException e) {
            throw e;
        } else if (t instanceof RuntimeException e) {
            throw e;
        } else if (t instanceof Error e) {
            throw e;
        }
    }

    private void joinUninterruptibly() {
        boolean interrupted = false;
        while (true) {
            try {
                thread.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private static void close(Job[] b) {
        for (Job j : b) {
            if (j != null) {
                Native.closeQuietly(j.in());
                Native.closeQuietly(j.out());
            }
        }
    }
}
