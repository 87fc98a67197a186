package dev.fleetlab.leshan;

import java.io.IOException;

/** What both harness programs do around their work: quiet logs, and an exit when the parent goes away. */
final class Lifecycle {

    private Lifecycle() {
    }

    /** slf4j-simple logs INFO to stderr by default; WARN unless -Dorg.slf4j.simpleLogger.defaultLogLevel says else. */
    static void quietLogging() {
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        }
    }

    /**
     * Blocks until stdin reaches end of file, then exits (the shutdown hooks clean up). The parent holds the other end of
     * the pipe: when it dies, even by SIGKILL, the JVM does not outlive it.
     */
    static void exitAtEndOfStdin() {
        byte[] buffer = new byte[256];
        try {
            while (System.in.read(buffer) >= 0) {
                // input is ignored
            }
        } catch (IOException e) {
            // a broken stdin is an end too
        }
        System.exit(0);
    }
}
