package dev.strata.cli;

import dev.strata.image.layer.Compression;
import dev.strata.image.model.Platform;
import dev.strata.image.transport.CopyOptions;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/** The options of every command that copies images: copy, save, load. */
final class CopyFlags {
    @Option(names = "--platform", paramLabel = "OS/ARCH[/VARIANT]",
            description = "The platform chosen from a multi-platform image. Default: this host's.")
    String platform;

    @Option(names = "--jobs", paramLabel = "N", defaultValue = "4", description = "Blobs copied at once. Default: 4.")
    int jobs;

    @Option(names = {"-q", "--quiet"}, description = "No progress; print only the written manifest digest.")
    boolean quiet;

    @Option(names = "--json", description = "Print the result as JSON.")
    boolean json;

    CopyOptions options(CommandLine cmd) {
        if (jobs < 1 || jobs > 64) {
            throw new CommandLine.ParameterException(cmd, "--jobs must be from 1 to 64, got " + jobs);
        }
        CopyOptions o = CopyOptions.defaults().withJobs(jobs);
        if (platform != null) {
            o = o.withPlatform(Platform.parse(platform));
        }
        if (!quiet && !json) {
            o = o.withListener(ProgressPrinter.forStderr());
        }
        return o;
    }

    /** The compression a {@code --dest-compress} value names, with its level checked for it. */
    static Compression compression(String name, int level, CommandLine cmd) {
        return compression(name, level, "--dest-compress-level", cmd);
    }

    /** The compression {@code name} names, with {@code level} (0: the format's default) checked for it. */
    static Compression compression(String name, int level, String levelOption, CommandLine cmd) {
        Compression c;
        try {
            c = Compression.parse(name);
        } catch (RuntimeException e) {
            throw new CommandLine.ParameterException(cmd, "unknown compression '" + name + "' (gzip, zstd, none)");
        }
        int max = c == Compression.GZIP ? 9 : c == Compression.ZSTD ? 19 : 0;
        if (level != 0 && (level < 1 || level > max)) {
            throw new CommandLine.ParameterException(cmd, max == 0 ? levelOption + " does not apply to " + name
                    : levelOption + " for " + name + " is 1 to " + max + ", got " + level);
        }
        return c;
    }
}
