package dev.strata.image.fs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Lexical cleaning of archive names: leading slashes, dots and dot-dots never climb above the root. */
class RelPathTest {
    @ParameterizedTest(name = "''{0}'' -> ''{1}''")
    @CsvSource(delimiter = '|', emptyValue = "", value = {
        "etc/passwd          | etc/passwd",
        "/etc/passwd         | etc/passwd",
        "./etc/passwd        | etc/passwd",
        "etc//passwd/        | etc/passwd",
        "etc/./passwd        | etc/passwd",
        "etc/../passwd       | passwd",
        "../../etc/passwd    | etc/passwd",
        "/../../../x         | x",
        "a/b/../../../../c   | c",
        "a/..                | ''",
        "''                  | ''",
        "/                   | ''",
        ".                   | ''",
        "..                  | ''",
        "...                 | ...",
        "..a/.b/c..          | ..a/.b/c..",
        "ünï/cødé            | ünï/cødé",
    })
    void cleans(String in, String cleaned) {
        RelPath p = RelPath.parse(in);
        assertThat(p.cleaned()).isEqualTo(cleaned);
        assertThat(p.isRoot()).isEqualTo(cleaned.isEmpty());
        assertThat(p.components()).allSatisfy(c -> assertThat(c).isNotEmpty().isNotIn(".", "..").doesNotContain("/"));
    }

    @Test
    void parentAndName() {
        RelPath p = RelPath.parse("/a/b/c");
        assertThat(p.parent()).containsExactly("a", "b");
        assertThat(p.name()).isEqualTo("c");
        assertThat(RelPath.parse("c").parent()).isEmpty();
        assertThat(RelPath.parse("/").name()).isEqualTo(".");
        assertThat(p.toString()).isEqualTo("/a/b/c");
    }

    @Test
    void refusesNul() {
        assertThatThrownBy(() -> RelPath.parse("a\0/../../x")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("NUL");
    }
}
