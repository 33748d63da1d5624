package dev.strata.driver.overlay;

import dev.strata.image.driver.Probe;
import dev.strata.image.layer.ApplyOptions;
import dev.strata.image.layer.LayerApplier;
import dev.strata.image.testing.Capabilities;
import dev.strata.image.testing.RootedSnapshot;
import dev.strata.image.testing.TarBuilder;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Oracle: a multi-layer image applied layer by layer with {@link OverlayDriver#applyDiff} and viewed through the top
 * layer's overlay mount equals the same layers flattened by {@link LayerApplier} in deletion form; whiteout devices
 * and overlay xattrs never show in the merged view.
 */
class OverlayFlattenOracleTest {
    @TempDir
    Path tmp;
    private OverlayDriver driver;

    @BeforeEach
    void requireOverlay() {
        Probe probe = new OverlayDriverProvider().probe(tmp.resolve("overlay"));
        Capabilities.require(probe.supported(), "overlay mounts: " + probe.reason());
    }

    @AfterEach
    void cleanUp() throws IOException {
        try {
            if (driver != null) {
                driver.close();
            }
        } finally {
            OverlayTestMounts.detachAllUnder(tmp);
        }
    }

    private static List<byte[]> image() {
        return List.of(
                new TarBuilder()
                        .entry("etc/").type('5').mode(0755).add()
                        .file("etc/passwd", "root:x:0:0").file("etc/hosts", "localhost")
                        .file("etc/l1", "linked").hardlink("etc/l2", "etc/l1")
                        .entry("secret/").type('5').mode(0700).owner(1000, 1000).add()
                        .file("secret/key", "k")
                        .entry("tmp/").type('5').mode(01777).add()
                        .entry("bin/").type('5').mode(0755).add()
                        .entry("bin/tool").mode(04755).data("tool").add()
                        .hardlink("bin/alias", "bin/tool")
                        .symlink("bin/sh", "/bin/tool")
                        .entry("var/").type('5').mode(0755).add()
                        .entry("var/lib/").type('5').mode(0755).add()
                        .file("var/lib/a", "a").file("var/lib/b", "b")
                        .end().bytes(),
                new TarBuilder()
                        .entry("etc/").type('5').mode(0755).add()
                        .entry("etc/passwd").mode(0600).data("root:x:0:0\nuser:x:1000").add()
                        .file("etc/.wh.hosts", "")
                        .entry("var/").type('5').mode(0755).add()
                        .entry("var/lib/").type('5').mode(0750).add()
                        .file("var/lib/.wh..wh..opq", "")
                        .file("var/lib/c", "c")
                        .file(".wh.secret", "")
                        .end().bytes(),
                new TarBuilder()
                        .entry("secret/").type('5').mode(0755).add()
                        .file("secret/new", "fresh")
                        .entry("bin/").type('5').mode(0755).add()
                        .file("bin/.wh.sh", "")
                        .entry("bin/tool").mode(0755).data("tool v2").add()
                        .entry("usr/").type('5').mode(0755).add()
                        .file("usr/f", "f").hardlink("usr/g", "usr/f")
                        .end().bytes(),
                new TarBuilder()
                        .entry("usr/").type('5').mode(0755).add()
                        .file("usr/.wh.f", "")
                        .entry("etc/").type('5').mode(0755).add()
                        .file("etc/hosts", "recreated")
                        .end().bytes());
    }

    @Test
    void mergedViewEqualsDeletionFormFlattening() throws IOException {
        driver = OverlayDriver.open(tmp.resolve("overlay"));
        Path flat = Files.createDirectory(tmp.resolve("flat"));
        String parent = null;
        int i = 0;
        for (byte[] tar : image()) {
            String id = "layer" + i++;
            driver.create(id, parent);
            driver.applyDiff(id, parent, new ByteArrayInputStream(tar));
            new LayerApplier(ApplyOptions.defaults()).apply(new ByteArrayInputStream(tar), flat);
            parent = id;
        }
        Map<String, String> expected = RootedSnapshot.describe(flat, false);
        Path merged = driver.get(parent);
        Map<String, String> actual;
        try {
            actual = RootedSnapshot.describe(merged, false);
        } finally {
            driver.put(parent);
        }
        expected.remove(".");
        actual.remove(".");
        dropSingleMemberLinkGroups(expected);
        dropSingleMemberLinkGroups(actual);
        assertThat(actual).isEqualTo(expected);
        assertThat(actual.values()).noneMatch(v -> v.startsWith("char_device")).noneMatch(v -> v.contains("overlay"));
        assertThat(actual.get("etc/l2")).contains("link-group=etc/l1");
        assertThat(actual).containsKeys("etc/hosts", "secret/new", "var/lib/c").doesNotContainKeys("var/lib/a",
                "secret/key", "bin/sh", "usr/f");
    }

    /**
     * A lower file's link count includes names that upper layers hid (overlayfs reports the lower inode as is), so a
     * file whose only visible sibling was deleted above still has nlink 2. Link groups with one visible member carry
     * no information either way; groups with several members are compared exactly.
     */
    private static void dropSingleMemberLinkGroups(Map<String, String> snapshot) {
        Map<String, Long> members = new java.util.HashMap<>();
        java.util.regex.Pattern group = java.util.regex.Pattern.compile(" link-group=(\\S+)");
        for (String v : snapshot.values()) {
            java.util.regex.Matcher m = group.matcher(v);
            if (m.find()) {
                members.merge(m.group(1), 1L, Long::sum);
            }
        }
        snapshot.replaceAll((k, v) -> {
            java.util.regex.Matcher m = group.matcher(v);
            return m.find() && members.get(m.group(1)) == 1 ? m.replaceFirst("") : v;
        });
    }
}
