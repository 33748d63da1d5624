package dev.strata.image.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.strata.image.digest.Digest;
import dev.strata.image.model.Descriptor;
import dev.strata.image.model.ImageManifest;
import dev.strata.image.model.MediaType;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A tiny self-contained image for tests that run containers: the host's static {@code /bin/busybox}
 * (Debian's busybox-static) with applet symlinks, {@code /etc/passwd} and {@code /etc/group} naming a user
 * {@code app} (1000:1000, also in group {@code extra} 2000), and a {@code /work} directory; the runtime config is the
 * caller's.
 */
public final class BusyboxImage {
    private static final List<String> APPLETS = List.of("sh", "id", "cat", "ls", "env", "pwd", "echo", "true");
    public static final String PASSWD = "root:x:0:0:root:/root:/bin/sh\napp:x:1000:1000:app:/home/app:/bin/sh\n";
    public static final String GROUP = "root:x:0:\napp:x:1000:\nextra:x:2000:app\n";

    private BusyboxImage() {
    }

    /** The static busybox binary, or a failed (CI) / skipped test when there is none. */
    public static byte[] busybox() throws IOException {
        Path p = Path.of("/bin/busybox");
        Capabilities.require(Files.isRegularFile(p), "needs /bin/busybox (apt-get install busybox-static)");
        byte[] bytes = Files.readAllBytes(p);
        Capabilities.require(isStaticElf(bytes), "/bin/busybox is dynamically linked: install busybox-static");
        return bytes;
    }

    /** The layer: busybox, its applets, passwd/group, /work, /home/app. */
    public static byte[] layer() throws IOException {
        TarBuilder tar = new TarBuilder().dir("bin/").dir("etc/").dir("work/").dir("home/").dir("home/app/")
                .dir("tmp/");
        tar.entry("bin/busybox").mode(0755).data(busybox()).add();
        for (String applet : APPLETS) {
            tar.symlink("bin/" + applet, "busybox");
        }
        tar.file("etc/passwd", PASSWD).file("etc/group", GROUP);
        return tar.end().bytes();
    }

    /**
     * The image, its config's {@code config} object being {@code runtime} (Docker's member names: User, Env,
     * Entrypoint, Cmd, WorkingDir).
     */
    public static OciImages.Image image(Map<String, Object> runtime) throws IOException {
        byte[] plain = layer();
        byte[] gz = OciImages.gzip(plain);
        ObjectMapper json = new ObjectMapper();
        ObjectNode config = json.createObjectNode();
        config.put("architecture", "amd64").put("os", "linux");
        config.set("config", json.valueToTree(runtime));
        ObjectNode rootfs = config.putObject("rootfs");
        rootfs.put("type", "layers");
        rootfs.putArray("diff_ids").add(Digest.sha256(plain).toString());
        byte[] configBytes = json.writeValueAsBytes(config);
        Descriptor cfg = new Descriptor(MediaType.OCI_CONFIG, Digest.sha256(configBytes), configBytes.length);
        Descriptor layer = new Descriptor(MediaType.OCI_LAYER_GZIP, Digest.sha256(gz), gz.length);
        ImageManifest manifest = ImageManifest.create(MediaType.OCI_MANIFEST, cfg, List.of(layer), Map.of());
        return new OciImages.Image(manifest, configBytes, List.of(gz));
    }

    /** An ELF64 file with no program interpreter (PT_INTERP): it runs in an empty root. */
    static boolean isStaticElf(byte[] b) {
        if (b.length < 64 || b[0] != 0x7f || b[1] != 'E' || b[2] != 'L' || b[3] != 'F' || b[4] != 2) {
            return false;
        }
        ByteBuffer buf = ByteBuffer.wrap(b).order(b[5] == 1 ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN);
        long phoff = buf.getLong(0x20);
        int phentsize = Short.toUnsignedInt(buf.getShort(0x36));
        int phnum = Short.toUnsignedInt(buf.getShort(0x38));
        for (int i = 0; i < phnum; i++) {
            long at = phoff + (long) i * phentsize;
            if (at + 4 > b.length) {
                return false;
            }
            if (buf.getInt((int) at) == 3) {
                return false;
            }
        }
        return true;
    }
}
