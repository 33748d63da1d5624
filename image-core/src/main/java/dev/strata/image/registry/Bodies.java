package dev.strata.image.registry;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** Bounded reads of response bodies: a body is never trusted to be as small as its Content-Length says. */
final class Bodies {
    /** What the HttpClient path keeps of a body: a token's cap and one byte to tell that it was exceeded. */
    static final int MAX_BUFFERED = Authenticator.MAX_TOKEN_BODY + 1;

    private Bodies() {
    }

    /** Reads at most {@code cap} bytes; returns null when the body is longer (the stream is closed either way). */
    static byte[] readCapped(InputStream in, int cap) throws IOException {
        try (in) {
            byte[] data = in.readNBytes(cap + 1);
            return data.length > cap ? null : data;
        }
    }

    /** Reads up to {@code cap} bytes for an error message, discarding the rest; a broken body gives nothing. */
    static byte[] readForError(InputStream in, int cap) {
        try {
            return readErrorBody(in, cap);
        } catch (StalledException e) {
            return new byte[0];
        }
    }

    /**
     * As {@link #readForError}, but a body that did not arrive in time is reported (the request is then retried).
     */
    static byte[] readErrorBody(InputStream in, int cap) throws StalledException {
        try (in) {
            return in.readNBytes(cap);
        } catch (StalledException e) {
            throw e;
        } catch (IOException e) {
            return new byte[0];
        }
    }

    static void discard(InputStream in) {
        try (in) {
            // Drain a little so a keep-alive connection can be reused; give up on anything large.
            in.readNBytes(64 * 1024);
        } catch (IOException ignored) {
            // the connection is simply not reused
        }
    }

    static OptionalLong contentLength(java.net.http.HttpHeaders headers) {
        return headers.firstValueAsLong("Content-Length");
    }

    /**
     * Sends {@code request} on the JDK HttpClient and reads the whole answer, at most {@value #MAX_BUFFERED} bytes
     * of body (the rest is not read), within {@code deadline}. The HttpClient's own timeout ends at the headers and
     * its body streams block without one, so a body that drips is only bounded here.
     *
     * @param what names the request in a {@link StalledException}, which adds the host
     */
    static HttpResponse<InputStream> exchange(HttpClient client, HttpRequest request, Duration deadline, String what)
            throws IOException, InterruptedException {
        CompletableFuture<HttpResponse<InputStream>> answer = client.sendAsync(request,
                info -> HttpResponse.BodySubscribers.mapping(new Capped(MAX_BUFFERED), ByteArrayInputStream::new));
        try {
            return answer.get(Math.max(1, deadline.toMillis()), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            answer.cancel(true); // aborts the exchange and its connection
            throw new StalledException(what + " from " + request.uri().getAuthority()
                    + ": stalled, no complete answer within " + deadline.toSeconds() + " s", e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof IOException io) {
                throw io;
            }
            if (cause instanceof RuntimeException re) {
                throw re;
            }
            throw new IOException(what + ": " + cause, cause);
        } catch (InterruptedException e) {
            answer.cancel(true);
            throw e;
        }
    }

    /** Collects at most {@code cap} bytes of a body, then cancels the rest of it. */
    private static final class Capped implements HttpResponse.BodySubscriber<byte[]> {
        private final int cap;
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();
        private final CompletableFuture<byte[]> result = new CompletableFuture<>();
        private Flow.Subscription subscription;

        Capped(int cap) {
            this.cap = cap;
        }

        @Override
        public CompletableFuture<byte[]> getBody() {
            return result;
        }

        @Override
        public void onSubscribe(Flow.Subscription s) {
            subscription = s;
            s.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(List<ByteBuffer> items) {
            if (result.isDone()) {
                return;
            }
            for (ByteBuffer b : items) {
                int n = Math.min(b.remaining(), cap - out.size());
                byte[] chunk = new byte[n];
                b.get(chunk);
                out.write(chunk, 0, n);
                if (out.size() >= cap) {
                    subscription.cancel();
                    result.complete(out.toByteArray());
                    return;
                }
            }
        }

        @Override
        public void onError(Throwable t) {
            result.completeExceptionally(t);
        }

        @Override
        public void onComplete() {
            result.complete(out.toByteArray());
        }
    }
}
