package dev.strata.cli;

import dev.strata.image.testing.Capabilities;
import dev.strata.image.testing.Proc;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code completion bash|zsh}: a script bash accepts, that completes every command. */
class CompletionCommandTest {
    @TempDir
    Path tmp;

    @Test
    void bashScriptCompletesTheCommands() throws Exception {
        CliRun r = CliRun.of("completion", "bash");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("copy").contains("list-tags").contains("unpack").contains("complete -F");
        Path script = Files.writeString(tmp.resolve("image-tool.bash"), r.out());
        Capabilities.requireTool("bash");
        // Sourced in bash, the completion function lists the commands for "image-tool co<TAB>".
        String out = Proc.ok(null, "bash", "-c", "source " + script + " && COMP_WORDS=(image-tool co) COMP_CWORD=1 "
                + "&& COMP_LINE='image-tool co' && COMP_POINT=13 && _picocli_image-tool && printf '%s\\n' \"${COMPREPLY[@]}\"");
        assertThat(out).contains("copy").contains("completion");
        CliRun zsh = CliRun.of("completion", "zsh");
        assertThat(zsh.out()).startsWith("#compdef image-tool").contains("bashcompinit");
        assertThat(CliRun.of("completion", "fish").code()).isEqualTo(2);
    }
}
