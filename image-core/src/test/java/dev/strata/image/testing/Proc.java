package dev.strata.image.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs external tools (tar, umoci, skopeo) in tests and fails with their output when they fail. */
public final class Proc {
    private Proc() {
    }

    /** Output of a finished command. */
    public record Result(int exitCode, String stdout, String stderr) {
    }

    public static Result run(Path dir, String... command) {
        try {
            ProcessBuilder pb = new ProcessBuilder(List.of(command));
            if (dir != null) {
                pb.directory(dir.toFile());
            }
            pb.environment().put("LC_ALL", "C.UTF-8");
            // stderr goes to a file so a chatty tool can never block on a full pipe while we read stdout.
            java.io.File errFile = java.io.File.createTempFile("proc", ".err");
            pb.redirectError(errFile);
            Process p = pb.start();
            p.getOutputStream().close();
            var out = p.getInputStream().readAllBytes();
            if (!p.waitFor(5, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new AssertionError("timed out: " + String.join(" ", command));
            }
            byte[] err = java.nio.file.Files.readAllBytes(errFile.toPath());
            java.nio.file.Files.deleteIfExists(errFile.toPath());
            return new Result(p.exitValue(), new String(out, StandardCharsets.UTF_8),
                    new String(err, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new AssertionError("cannot run " + String.join(" ", command) + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    /** Runs and requires exit code 0; returns stdout. */
    public static String ok(Path dir, String... command) {
        Result r = run(dir, command);
        if (r.exitCode() != 0) {
            throw new AssertionError(String.join(" ", command) + " exited " + r.exitCode() + "\nstdout: " + r.stdout()
                    + "\nstderr: " + r.stderr());
        }
        return r.stdout();
    }
}
