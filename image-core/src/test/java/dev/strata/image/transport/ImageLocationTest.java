package dev.strata.image.transport;

import dev.strata.image.InvalidReferenceException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Transport spellings as skopeo writes them, and what a name without one means. */
class ImageLocationTest {
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "docker://busybox                      | REGISTRY | docker://docker.io/library/busybox:latest",
            "docker://127.0.0.1:5000/a/b@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
                    + " | REGISTRY | docker://127.0.0.1:5000/a/b@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
            "oci:/x/layout                          | REGISTRY | oci:/x/layout",
            "oci:/x/layout:app:1                    | REGISTRY | oci:/x/layout:app:1",
            "oci-archive:a.tar:t                    | REGISTRY | oci-archive:a.tar:t",
            "docker-archive:a.tar                   | REGISTRY | docker-archive:a.tar",
            "docker-archive:a.tar:busybox:latest    | REGISTRY | docker-archive:a.tar:busybox:latest",
            "docker-archive:a.tar:@1                | REGISTRY | docker-archive:a.tar:@1",
            "dir:/tmp/d                             | REGISTRY | dir:/tmp/d",
            "store:app:1                            | REGISTRY | store:app:1",
            "127.0.0.1:5000/app:1                   | REGISTRY | docker://127.0.0.1:5000/app:1",
            "app:1                                  | STORE    | store:app:1",
            "busybox                                | REGISTRY | docker://docker.io/library/busybox:latest",
    })
    void parses(String spec, ImageLocation.Bare bare, String expected) {
        assertThat(ImageLocation.parse(spec.trim(), bare).toString()).isEqualTo(expected.trim());
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "oci:", "oci::name", "docker-archive:", "store:", "dir:", "docker:busybox",
            "docker://", "docker://UPPER/case"})
    void refuses(String spec) {
        assertThatThrownBy(() -> ImageLocation.parse(spec, ImageLocation.Bare.REGISTRY))
                .isInstanceOf(InvalidReferenceException.class);
    }
}
