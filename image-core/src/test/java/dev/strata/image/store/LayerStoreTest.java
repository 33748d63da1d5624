package dev.strata.image.store;

import dev.strata.image.DigestMismatchException;
import dev.strata.image.FailedPreconditionException;
import dev.strata.image.NotFoundException;
import dev.strata.image.digest.ChainId;
import dev.strata.image.digest.Digest;
import dev.strata.image.testing.PlainDirDriver;
import dev.strata.image.testing.TarBuilder;
import dev.strata.image.testing.TestImages;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Layer registration by ChainID: verify, reuse, refcounts, and cleanup of what a crash leaves. */
class LayerStoreTest {
    @TempDir
    Path root;
    Store store;

    private static final byte[] BASE = new TarBuilder().dir("etc").file("etc/os", "base").end().bytes();
    private static final byte[] CHILD = new TarBuilder().file("etc/.wh.os", "").file("app", "app").end().bytes();
    private static final Digest BASE_ID = Digest.sha256(BASE);
    private static final Digest CHILD_ID = Digest.sha256(CHILD);

    @BeforeEach
    void open() throws IOException {
        store = Store.open(root, StoreOptions.defaults(), List.of(PlainDirDriver.PROVIDER));
    }

    @AfterEach
    void close() throws IOException {
        store.close();
    }

    private LayerRecord register(byte[] tar, Digest parent) throws IOException {
        return store.layers().register(new ByteArrayInputStream(TestImages.gzip(tar)), parent, Digest.sha256(tar));
    }

    @Test
    void registersAChainAndRecordsWhatTheBlobWas() throws IOException {
        LayerRecord base = register(BASE, null);
        LayerRecord child = register(CHILD, base.chainId());
        assertThat(base.chainId()).isEqualTo(BASE_ID);
        assertThat(child.chainId()).isEqualTo(ChainId.of(List.of(BASE_ID, CHILD_ID)));
        assertThat(child.parent()).isEqualTo(BASE_ID);
        assertThat(child.compression()).isEqualTo("gzip");
        assertThat(child.compressedDigest()).isEqualTo(Digest.sha256(TestImages.gzip(CHILD)));
        assertThat(child.uncompressedSize()).isEqualTo(CHILD.length);
        assertThat(child.incomplete()).isFalse();
        assertThat(Files.exists(root.resolve("layers/" + child.chainId().encoded() + ".json"))).isTrue();
        Path dir = store.layers().mount(child.chainId());
        try {
            assertThat(Files.readString(dir.resolve("app"))).isEqualTo("app");
            assertThat(dir.resolve("etc/os")).doesNotExist();
        } finally {
            store.layers().unmount(child.chainId());
        }
        assertThat(store.driver().layers()).containsExactlyInAnyOrder(base.driverId(), child.driverId());
    }

    @Test
    void knownChainIdIsReusedWithoutReadingTheBlob() throws IOException {
        LayerRecord first = register(BASE, null);
        InputStream untouchable = new InputStream() {
            @Override
            public int read() {
                throw new AssertionError("an already stored layer must not be read again");
            }
        };
        LayerRecord again = store.layers().register(untouchable, null, BASE_ID);
        assertThat(again.driverId()).isEqualTo(first.driverId());
        assertThat(store.driver().layers()).hasSize(1);
    }

    @Test
    void wrongDiffIdKeepsNothing() throws IOException {
        Digest wrong = Digest.sha256(new byte[] {1});
        assertThatThrownBy(() -> store.layers().register(new ByteArrayInputStream(BASE), null, wrong))
                .isInstanceOf(DigestMismatchException.class).hasMessageContaining(wrong.toString())
                .hasMessageContaining(BASE_ID.toString());
        assertThat(store.layers().list()).isEmpty();
        assertThat(store.driver().layers()).isEmpty();
    }

    @Test
    void missingParentIsNotFound() {
        assertThatThrownBy(() -> register(CHILD, BASE_ID)).isInstanceOf(NotFoundException.class)
                .hasMessageContaining(BASE_ID.toString());
    }

    @Test
    void removeKeepsLayersWithChildrenOrHeldByALease() throws IOException {
        LayerRecord base = register(BASE, null);
        LayerRecord child = register(CHILD, base.chainId());
        assertThat(store.layers().remove(base.chainId())).as("child keeps it").isFalse();
        try (LayerLease lease = store.lease()) {
            assertThat(store.layers().hold(child.chainId(), lease)).hasValue(child);
            assertThat(store.layers().inUse(base.chainId())).as("held through its child").isTrue();
            assertThat(store.layers().prune()).isEmpty();
            assertThat(store.layers().remove(child.chainId())).isFalse();
        }
        assertThat(store.layers().inUse(child.chainId())).isFalse();
        assertThat(store.layers().remove(child.chainId())).isTrue();
        assertThat(store.layers().prune()).containsExactly(base.chainId());
        assertThat(store.driver().layers()).isEmpty();
        assertThatThrownBy(() -> store.layers().remove(base.chainId())).isInstanceOf(NotFoundException.class);
    }

    @Test
    void preparedLayerIsInvisibleUntilPublishedAndDiscardedWhenClosedUnpublished() throws IOException {
        LayerRecord base = register(BASE, null);
        Digest childChain = ChainId.next(BASE_ID, CHILD_ID);
        try (LayerLease lease = store.lease()) {
            try (PreparedLayer layer = store.layers().prepare(BASE_ID, CHILD_ID, lease)) {
                assertThat(layer.chainId()).isEqualTo(childChain);
                layer.apply(new ByteArrayInputStream(TestImages.gzip(CHILD)));
                assertThat(store.layers().get(childChain)).isEmpty();
                assertThat(store.driver().layers()).hasSize(2);
                assertThat(store.layers().prune()).as("the lease holds the parent").isEmpty();
            }
            assertThat(store.driver().layers()).containsExactly(base.driverId());
            try (PreparedLayer layer = store.layers().prepare(BASE_ID, CHILD_ID, lease)) {
                layer.apply(new ByteArrayInputStream(TestImages.gzip(CHILD)));
                assertThat(layer.publish().chainId()).isEqualTo(childChain);
            }
            assertThat(store.layers().get(childChain)).isPresent();
            assertThat(lease.held()).contains(childChain);
        }
    }

    @Test
    void aDriverThatCopiesItsParentRefusesAChildOfAnUnpublishedLayer() throws IOException {
        assertThat(store.layers().appliesLayersIndependently()).isFalse();
        try (LayerLease lease = store.lease(); PreparedLayer base = store.layers().prepare(null, BASE_ID, lease)) {
            assertThatThrownBy(() -> store.layers().prepareOn(base, CHILD_ID))
                    .isInstanceOf(FailedPreconditionException.class).hasMessageContaining("parent's content");
            assertThat(store.driver().layers()).as("nothing was created for the refused child").hasSize(1);
        }
        assertThat(store.driver().layers()).isEmpty();
    }

    @Test
    void twoRegistrationsOfOneChainIdKeepTheFirstPublished() throws IOException {
        try (LayerLease a = store.lease(); LayerLease b = store.lease();
             PreparedLayer first = store.layers().prepare(null, BASE_ID, a);
             PreparedLayer second = store.layers().prepare(null, BASE_ID, b)) {
            first.apply(new ByteArrayInputStream(BASE));
            second.apply(new ByteArrayInputStream(TestImages.gzip(BASE)));
            LayerRecord won = second.publish();
            assertThat(first.publish()).isEqualTo(won);
            assertThat(store.driver().layers()).containsExactly(won.driverId());
        }
    }

    @Test
    void openKeepsTheLayerAnotherProcessIsApplyingAndRemovesADeadLeasesOne() throws Exception {
        register(BASE, null);
        LayerLease lease = store.lease();
        PreparedLayer layer = store.layers().prepare(BASE_ID, CHILD_ID, lease);
        // Another opener (same JVM here; across processes the lease file's lock says the same) cleans up:
        try (Store other = Store.open(root, StoreOptions.defaults(), List.of(PlainDirDriver.PROVIDER))) {
            assertThat(other.driver().layers()).hasSize(2);
        }
        layer.apply(new ByteArrayInputStream(TestImages.gzip(CHILD)));
        layer.publish();
        lease.close();
        assertThat(store.layers().prune()).hasSize(2);

        // A dead process's lease: the file is there but nobody holds its lock.
        Path dead = root.resolve("leases/0-dead.lease");
        Files.writeString(dead, "hold " + BASE_ID + "\npending cafe\n");
        register(BASE, null);
        store.driver().create("cafe", null);
        store.close();
        store = Store.open(root, StoreOptions.defaults(), List.of(PlainDirDriver.PROVIDER));
        assertThat(dead).doesNotExist();
        assertThat(store.driver().layers()).doesNotContain("cafe");
        assertThat(store.layers().prune()).containsExactly(BASE_ID);
    }

    @Test
    void openRemovesIncompleteLayersAndOrphanedDriverDirectories() throws IOException {
        LayerRecord base = register(BASE, null);
        // what a kill leaves: an incomplete record with a half-made driver layer, an orphan, a temp record
        LayerRecord half = new LayerRecord(ChainId.next(BASE_ID, CHILD_ID), BASE_ID, CHILD_ID, "deadbeef", null, 0,
                0, null, true);
        AtomicFiles.write(root.resolve("layers/" + half.chainId().encoded() + ".json"), RecordCodec.layer(half));
        store.driver().create("deadbeef", base.driverId());
        store.driver().create("orphan", null);
        store.driver().create("orphanchild", "orphan");
        Files.writeString(root.resolve("layers/x.json.tmp-1"), "{");
        store.close();
        store = Store.open(root, StoreOptions.defaults(), List.of(PlainDirDriver.PROVIDER));
        assertThat(store.layers().list()).extracting(LayerRecord::chainId).containsExactly(BASE_ID);
        assertThat(store.driver().layers()).containsExactly(base.driverId());
        try (var s = Files.list(root.resolve("layers"))) {
            assertThat(s).hasSize(1);
        }
        assertThat(register(CHILD, BASE_ID).incomplete()).isFalse();
    }
}
