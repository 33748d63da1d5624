package dev.strata.cli;

import dev.strata.image.testing.Capabilities;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The installable tree that {@code mvn package} builds (target/image-tool-VERSION.tar.gz), unpacked elsewhere and run
 * as a user would: through a symlink from another directory, with JAVA_HOME, from a read-only install whose
 * class-data archives go to the user's cache, and with {@code java -jar}. Runs after package (failsafe).
 */
class InstalledLauncherIT {
    private static final Path TARGET = Path.of(System.getProperty("strata.cli.target", "target")).toAbsolutePath();
    private static final String JAVA = Path.of(System.getProperty("java.home"), "bin", "java").toString();

    @TempDir
    static Path tmp;
    static Path install;

    @BeforeAll
    static void unpackDistribution() throws Exception {
        Path tarball;
        try (Stream<Path> s = Files.list(TARGET)) {
            tarball = s.filter(p -> p.getFileName().toString().matches("image-tool-.*\\.tar\\.gz")).findFirst()
                    .orElseThrow(() -> new AssertionError("no image-tool-*.tar.gz in " + TARGET + ": run mvn package"));
        }
        Path opt = Files.createDirectory(tmp.resolve("opt"));
        Run untar = run(List.of("tar", "-C", opt.toString(), "-xzf", tarball.toString()), Map.of(), tmp);
        assertEquals(0, untar.code, untar.err);
        try (Stream<Path> s = Files.list(opt)) {
            install = s.findFirst().orElseThrow();
        }
        // Readable by anyone, as an install under /opt or /usr/local is; the non-root case below relies on it.
        assertEquals(0, run(List.of("chmod", "-R", "a+rX", tmp.toString()), Map.of(), tmp).code);
    }

    @Test
    void runsThroughASymlinkFromAnotherDirectoryWithJavaHome() throws Exception {
        Path bin = Files.createDirectories(tmp.resolve("elsewhere/bin"));
        Path link = Files.createSymbolicLink(bin.resolve("image-tool"), install.resolve("bin/image-tool"));
        Path cwd = Files.createDirectories(tmp.resolve("cwd"));
        Run r = run(List.of(link.toString(), "--version"), Map.of("JAVA_HOME", System.getProperty("java.home")), cwd);
        assertEquals(0, r.code, r.err);
        assertTrue(r.out.startsWith("image-tool "), r.out);
        assertTrue(r.out.contains("Java " + System.getProperty("java.version")), r.out);
    }

    @Test
    void javaDashJarRuns() throws Exception {
        Path jar;
        try (Stream<Path> s = Files.list(install)) {
            jar = s.filter(p -> p.getFileName().toString().endsWith(".jar")).findFirst().orElseThrow();
        }
        Run r = run(List.of(JAVA, "-jar", jar.toString(), "--version"), Map.of(), tmp);
        assertEquals(0, r.code, r.err);
        assertTrue(r.out.startsWith("image-tool "), r.out);
    }

    @Test
    void archiveIsRecordedAfterASuccessfulRunOnlyAndThenUsed() throws Exception {
        Path store = Files.createDirectories(tmp.resolve("store-a"));
        Path launcher = install.resolve("bin/image-tool");
        Run bogus = run(List.of(launcher.toString(), "--root", store.toString(), "bogus"), Map.of(), tmp);
        assertEquals(2, bogus.code, bogus.err);
        assertEquals(Set.of(), archives(install), "a failed command records nothing");
        for (int i = 0; i < 2; i++) {
            Run r = run(List.of(launcher.toString(), "--root", store.toString(), "images"), Map.of(), tmp);
            assertEquals(0, r.code, r.err);
            assertTrue(r.out.startsWith("NAME"), "results alone on stdout: " + r.out);
            assertEquals("", r.err, "nothing from the JVM or the recording on stderr");
        }
        assertEquals(1, archives(install).size(), "one archive, keyed on the word images: " + archives(install));
        String archive = archives(install).iterator().next();
        assertTrue(archive.startsWith("image-tool-images-"), archive);
        // images is a light command: the Java side asked for C1 alone on its recording run (ImageTool.recordJvmOptions).
        assertTrue(Files.readString(install.resolve(archive + ".jvmopts")).contains("-XX:TieredStopAtLevel=1"));
    }

    @Test
    void readOnlyInstallKeepsArchivesInTheUsersCache() throws Exception {
        Path launcher = install.resolve("bin/image-tool");
        Path cache = Files.createDirectories(tmp.resolve("cache"));
        Path store = Files.createDirectories(tmp.resolve("store-b"));
        List<String> cmd = new ArrayList<>();
        if (Capabilities.isRoot()) {
            // Root may write anywhere: run as nobody, for whom the install is read-only, as for any user.
            Path setpriv = Capabilities.requireTool("setpriv");
            cmd.addAll(List.of(setpriv.toString(), "--reuid=65534", "--regid=65534", "--clear-groups"));
            assertEquals(0, run(List.of("chown", "65534:65534", cache.toString(), store.toString()), Map.of(), tmp).code);
        } else {
            assertTrue(install.toFile().setWritable(false, false));
        }
        cmd.addAll(List.of(launcher.toString(), "--root", store.toString(), "images"));
        for (int i = 0; i < 2; i++) {
            Run r = run(cmd, Map.of("XDG_CACHE_HOME", cache.toString(), "HOME", tmp.toString()), tmp);
            assertEquals(0, r.code, r.err);
            assertEquals("", r.err);
        }
        Path strata = cache.resolve("strata");
        assertEquals(1, archives(strata).size(), "archive in $XDG_CACHE_HOME/strata: " + archives(strata));
        assertFalse(archives(install).contains(archives(strata).iterator().next()), "nothing written to the install");
        install.toFile().setWritable(true, true);
    }

    /** The launcher skips the same global options with values as the Java side when it looks for the command word. */
    @Test
    void launcherSkipsTheGlobalOptionsThatTakeAValue() throws IOException {
        String script = Files.readString(install.resolve("bin/image-tool"), StandardCharsets.UTF_8);
        Matcher m = Pattern.compile("(?m)^\\s*((?:--[a-z-]+\\|?)+)\\) skip=1 ;;").matcher(script);
        assertTrue(m.find(), "no option-skipping case in the launcher");
        assertEquals(ImageTool.GLOBAL_OPTIONS_WITH_VALUE, Set.of(m.group(1).split("\\|")));
    }

    private static Set<String> archives(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return Set.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".jsa") || n.endsWith(".aot"))
                    .collect(Collectors.toSet());
        }
    }

    private record Run(int code, String out, String err) {}

    private static Run run(List<String> command, Map<String, String> env, Path cwd) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(command).directory(cwd.toFile());
        pb.environment().remove("IMAGE_TOOL_NO_CDS");
        pb.environment().remove("IMAGE_TOOL_JAVA_OPTS");
        pb.environment().putAll(env);
        Path out = Files.createTempFile(tmp, "out", ".txt");
        Path err = Files.createTempFile(tmp, "err", ".txt");
        pb.redirectOutput(out.toFile()).redirectError(err.toFile());
        Process p = pb.start();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("timed out: " + command);
        }
        return new Run(p.exitValue(), Files.readString(out), Files.readString(err));
    }
}
