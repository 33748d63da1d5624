package dev.strata.image.bundle;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.StreamWriteFeature;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;

/**
 * An OCI runtime spec ({@code config.json}) written with jackson-core's generator (no {@code ObjectMapper}: see
 * {@code internal.JsonTrees}). Mounts, masked and read-only paths, rlimits, namespaces and the device rule are what
 * {@code runc spec} (runc 1.1) writes, member for member. Two choices differ from it, for containers that install
 * and build things: the capabilities are Docker's default set (runc spec gives three), and none are ambient, so a
 * non-root USER has none after its execve (as under Docker); and the root is writable.
 */
final class RuntimeSpecWriter {
    /** The runtime-spec version whose schema this follows (runc 1.1 accepts 1.0.x). */
    static final String OCI_VERSION = "1.0.2";
    private static final JsonFactory FACTORY = JsonFactory.builder().disable(StreamWriteFeature.AUTO_CLOSE_TARGET)
            .build();

    /** Moby's default capability set ({@code oci/caps/defaults.go}). */
    static final List<String> CAPABILITIES = List.of("CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER",
            "CAP_MKNOD", "CAP_NET_RAW", "CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP",
            "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE");
    static final List<String> NAMESPACES = List.of("pid", "network", "ipc", "uts", "mount");
    static final List<String> MASKED_PATHS = List.of("/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
            "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware",
            "/proc/scsi");
    static final List<String> READONLY_PATHS = List.of("/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys",
            "/proc/sysrq-trigger");

    private record Mount(String destination, String type, String source, List<String> options) {
    }

    private static final List<Mount> MOUNTS = List.of(
            new Mount("/proc", "proc", "proc", List.of()),
            new Mount("/dev", "tmpfs", "tmpfs", List.of("nosuid", "strictatime", "mode=755", "size=65536k")),
            new Mount("/dev/pts", "devpts", "devpts", List.of("nosuid", "noexec", "newinstance", "ptmxmode=0666",
                    "mode=0620", "gid=5")),
            new Mount("/dev/shm", "tmpfs", "shm", List.of("nosuid", "noexec", "nodev", "mode=1777", "size=65536k")),
            new Mount("/dev/mqueue", "mqueue", "mqueue", List.of("nosuid", "noexec", "nodev")),
            new Mount("/sys", "sysfs", "sysfs", List.of("nosuid", "noexec", "nodev", "ro")),
            new Mount("/sys/fs/cgroup", "cgroup", "cgroup", List.of("nosuid", "noexec", "nodev", "relatime", "ro")));

    private RuntimeSpecWriter() {
    }

    /** The spec for {@code process} with {@code rootPath} (relative to the bundle, or absolute) as its root. */
    static byte[] write(BundleProcess process, String rootPath, String hostname) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(4096);
        try (JsonGenerator g = FACTORY.createGenerator(out)) {
            g.useDefaultPrettyPrinter();
            g.writeStartObject();
            g.writeStringField("ociVersion", OCI_VERSION);
            process(g, process);
            g.writeObjectFieldStart("root");
            g.writeStringField("path", rootPath);
            g.writeBooleanField("readonly", false);
            g.writeEndObject();
            g.writeStringField("hostname", hostname);
            g.writeArrayFieldStart("mounts");
            for (Mount m : MOUNTS) {
                g.writeStartObject();
                g.writeStringField("destination", m.destination);
                g.writeStringField("type", m.type);
                g.writeStringField("source", m.source);
                if (!m.options.isEmpty()) {
                    strings(g, "options", m.options);
                }
                g.writeEndObject();
            }
            g.writeEndArray();
            linux(g);
            g.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException("writing JSON to memory", e);
        }
        out.write('\n');
        return out.toByteArray();
    }

    private static void process(JsonGenerator g, BundleProcess p) throws IOException {
        g.writeObjectFieldStart("process");
        g.writeBooleanField("terminal", p.terminal());
        g.writeObjectFieldStart("user");
        g.writeNumberField("uid", p.user().uid());
        g.writeNumberField("gid", p.user().gid());
        if (!p.user().additionalGids().isEmpty()) {
            g.writeArrayFieldStart("additionalGids");
            for (long gid : p.user().additionalGids()) {
                g.writeNumber(gid);
            }
            g.writeEndArray();
        }
        g.writeEndObject();
        strings(g, "args", p.args());
        strings(g, "env", p.env());
        g.writeStringField("cwd", p.cwd());
        g.writeObjectFieldStart("capabilities");
        for (String set : List.of("bounding", "effective", "permitted")) {
            strings(g, set, CAPABILITIES);
        }
        g.writeEndObject();
        g.writeArrayFieldStart("rlimits");
        g.writeStartObject();
        g.writeStringField("type", "RLIMIT_NOFILE");
        g.writeNumberField("hard", 1024);
        g.writeNumberField("soft", 1024);
        g.writeEndObject();
        g.writeEndArray();
        g.writeBooleanField("noNewPrivileges", true);
        g.writeEndObject();
    }

    private static void linux(JsonGenerator g) throws IOException {
        g.writeObjectFieldStart("linux");
        g.writeObjectFieldStart("resources");
        g.writeArrayFieldStart("devices");
        g.writeStartObject();
        g.writeBooleanField("allow", false);
        g.writeStringField("access", "rwm");
        g.writeEndObject();
        g.writeEndArray();
        g.writeEndObject();
        g.writeArrayFieldStart("namespaces");
        for (String ns : NAMESPACES) {
            g.writeStartObject();
            g.writeStringField("type", ns);
            g.writeEndObject();
        }
        g.writeEndArray();
        strings(g, "maskedPaths", MASKED_PATHS);
        strings(g, "readonlyPaths", READONLY_PATHS);
        g.writeEndObject();
    }

    private static void strings(JsonGenerator g, String name, List<String> values) throws IOException {
        g.writeArrayFieldStart(name);
        for (String v : values) {
            g.writeString(v);
        }
        g.writeEndArray();
    }
}
