package dev.strata.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The hand-kept command table and the scan that registers only the command a command line names. */
class CommandRegistrationTest {

    @Test
    void tableMatchesEachCommandsOwnNameAndAliases() {
        Set<String> declared = new LinkedHashSet<>();
        for (Class<?> c : new LinkedHashSet<>(ImageTool.COMMANDS.values())) {
            Command a = c.getAnnotation(Command.class);
            List<String> names = new ArrayList<>(List.of(a.aliases()));
            names.add(a.name());
            for (String n : names) {
                assertEquals(c, ImageTool.COMMANDS.get(n), n);
            }
            declared.addAll(names);
        }
        assertEquals(declared, ImageTool.COMMANDS.keySet());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "pull x                          | PullCommand",
            "--root /s pull x                | PullCommand",
            "--root=/s --driver vfs images   | ImagesCommand",
            "--driver=overlay rmi a          | RmCommand",
            "unmount /p                      | UmountCommand",
            "--root pull images              | ImagesCommand", // "pull" is --root's value here
            "apply --root /x l t             | ApplyCommand",
    })
    void namedCommandAlone(String line, String expected) {
        var commands = ImageTool.commandsFor(line.trim().split("\\s+"));
        assertEquals(1, commands.size(), commands::toString);
        assertEquals(expected, commands.iterator().next().getSimpleName());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {"--help", "-V", "help pull", "nosuch x", "--root", "--verbose pull x", "''"})
    void everythingElseRegistersAll(String line) {
        String[] args = line.isEmpty() ? new String[0] : line.split(" ");
        assertEquals(new LinkedHashSet<>(ImageTool.COMMANDS.values()), Set.copyOf(ImageTool.commandsFor(args)));
    }

    @Test
    void topLevelHelpStillListsEveryCommand() {
        CliRun run = CliRun.of("--help");
        assertEquals(0, run.code(), run.err());
        for (Map.Entry<String, Class<?>> e : ImageTool.COMMANDS.entrySet()) {
            assertTrue(run.out().contains(e.getKey()), e.getKey() + " missing from:\n" + run.out());
        }
    }

    @Test
    void unknownCommandIsStillAUsageError() {
        CliRun run = CliRun.of("--root", "/nonexistent", "nosuch");
        assertEquals(CommandLine.ExitCode.USAGE, run.code());
        assertTrue(run.err().contains("nosuch"), run.err());
    }

    @Test
    void subcommandHelpWorksAlone() {
        CliRun run = CliRun.of("--root", "/nonexistent", "pull", "--help");
        assertEquals(0, run.code(), run.err());
        assertTrue(run.out().contains("--platform"), run.out());
    }
}
