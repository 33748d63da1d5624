package dev.strata.cli;

import com.fasterxml.jackson.databind.ObjectMapper;

/**
 * Loads and initializes Jackson on a second thread while picocli parses the command line. The first ObjectMapper
 * of a JVM costs about 0.1 s (hundreds of classes, the locale data behind its date format); every command but
 * apply and diff needs one within its first moments (store records, manifests, credentials), and on its own it
 * sat on the start-up path of every pull. Class initialization is thread-safe: whoever needs Jackson first waits
 * for this thread instead of doing the same work again.
 */
final class JsonWarmup {
    private JsonWarmup() {
    }

    static void start() {
        Thread t = new Thread(JsonWarmup::run, "strata-json-warmup");
        t.setDaemon(true);
        t.start();
    }

    private static void run() {
        try {
            new ObjectMapper().readTree("{\"a\":[1,\"b\"]}");
        } catch (Exception | LinkageError e) {
            // Only a warm-up: the command itself reports any real problem with Jackson.
        }
    }
}
