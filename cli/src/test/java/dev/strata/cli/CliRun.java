package dev.strata.cli;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** Runs {@code image-tool} in-process and captures its exit code, stdout and stderr. */
record CliRun(int code, String out, String err) {
    /** Runs {@code args} and fails the test, showing stderr, unless the exit code is 0. */
    static CliRun ok(String... args) {
        CliRun r = of(args);
        if (r.code() != 0) {
            throw new AssertionError("image-tool " + String.join(" ", args) + " exited " + r.code() + ":\n" + r.err());
        }
        return r;
    }

    static synchronized CliRun of(String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int code = ImageTool.execute(args);
            return new CliRun(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }
}
