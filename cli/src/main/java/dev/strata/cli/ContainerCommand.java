package dev.strata.cli;

import dev.strata.image.store.Container;
import dev.strata.image.store.Store;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code image-tool container ...}: containers in the store, each a writable layer on an image. CONTAINER is a
 * name or an unambiguous id prefix everywhere.
 */
@Command(name = "container", mixinStandardHelpOptions = true,
        description = "Containers in the store: a writable layer of their own on an image's layers.",
        subcommands = {ContainerCreateCommand.class, ContainerListCommand.class, ContainerMountCommand.class,
                ContainerUmountCommand.class, ContainerDiffCommand.class, ContainerRmCommand.class},
        footer = {"", "Examples:", "  id=$(image-tool container create --name web docker.io/library/alpine:3.20)",
                "  echo hi > \"$(image-tool container mount web)/hello\"", "  image-tool container diff web",
                "  image-tool container umount web", "  image-tool container rm web"})
final class ContainerCommand implements Runnable {
    @ParentCommand
    ImageTool tool;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a container command is required");
    }

    static Map<String, Object> fields(Container c) {
        Map<String, Object> f = new LinkedHashMap<>();
        f.put("id", c.id());
        f.put("name", c.name());
        f.put("image", c.imageName());
        f.put("imageManifest", c.imageManifest().toString());
        f.put("topLayer", c.topLayer().toString());
        f.put("created", c.created().toString());
        f.put("mounts", c.mountCount());
        return f;
    }

    /** Opens the existing store: no container command has anything to act on in a new one. */
    Store openStore() throws IOException {
        return tool.openExistingStore();
    }
}
