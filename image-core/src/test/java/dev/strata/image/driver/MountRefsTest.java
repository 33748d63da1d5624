package dev.strata.image.driver;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Mount reference counting: first get mounts, last put unmounts, an unmatched put is a bug. */
class MountRefsTest {
    @Test
    void onlyFirstAcquireAndLastReleaseReportTrue() {
        MountRefs refs = new MountRefs();
        assertThat(refs.acquire("a")).isTrue();
        assertThat(refs.acquire("a")).isFalse();
        assertThat(refs.acquire("b")).isTrue();
        assertThat(refs.count("a")).isEqualTo(2);
        assertThat(refs.release("a")).isFalse();
        assertThat(refs.active()).containsExactly("a", "b");
        assertThat(refs.release("a")).isTrue();
        assertThat(refs.active()).containsExactly("b");
        assertThatThrownBy(() -> refs.release("a")).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void clearReturnsWhatWasInUse() {
        MountRefs refs = new MountRefs();
        refs.acquire("x");
        refs.acquire("x");
        refs.acquire("y");
        assertThat(refs.clear()).containsExactly("x", "y");
        assertThat(refs.active()).isEmpty();
        assertThat(refs.count("x")).isZero();
    }
}
