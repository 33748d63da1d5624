package dev.strata.cli;

import dev.strata.image.reference.ImageReference;
import dev.strata.image.registry.CredentialStore;
import dev.strata.image.registry.Credentials;
import dev.strata.image.registry.RegistriesConf;
import dev.strata.image.registry.RegistryOptions;
import dev.strata.image.progress.ProgressEvent;
import picocli.CommandLine;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** The registry connection flags shared by {@code pull} and {@code push}. */
final class RegistryFlags {
    @Option(names = "--tls-verify", arity = "0..1", defaultValue = "true", fallbackValue = "true",
            paramLabel = "BOOL", description = "Verify TLS; false talks plain HTTP to the registry (an insecure "
            + "registry). Default: true.")
    boolean tlsVerify;

    @Option(names = "--cert-dir", paramLabel = "DIR", description = "Trust the *.crt files in DIR as well.")
    Path certDir;

    @Option(names = "--creds", paramLabel = "USER[:PASSWORD]", description = "Credentials for the registry "
            + "(with --password-stdin: the user name alone, so the password is not in the command line).")
    String creds;

    @Option(names = "--password-stdin", description = "Read the password for --creds USER from standard input.")
    boolean passwordStdin;

    @Option(names = "--registries-conf", paramLabel = "FILE", description = "Mirrors, blocked and insecure "
            + "registries and short-name search from FILE (containers-registries.conf(5), version 2) instead of "
            + "$CONTAINERS_REGISTRIES_CONF, ~/.config/containers/registries.conf or /etc/containers/registries.conf.")
    Path registriesConf;

    /** Read on first use only: commands that talk to no registry never parse it. */
    private RegistriesConf conf;

    /** The registries.conf in effect: --registries-conf, else the first default file that exists, else none. */
    RegistriesConf registriesConf() {
        if (conf == null) {
            try {
                conf = registriesConf != null ? RegistriesConf.read(registriesConf)
                        : RegistriesConf.fromDefaultLocation();
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException("reading registries.conf: " + e.getMessage(), e);
            }
        }
        return conf;
    }

    @Option(names = "--authfile", paramLabel = "FILE", description = "Read credentials from FILE (an auth.json or "
            + "docker config.json) instead of the default files.")
    Path authFile;

    /** The first line of standard input, without its line end (as docker login --password-stdin reads it). */
    static String readPasswordFromStdin() {
        try {
            byte[] all = System.in.readNBytes(64 * 1024);
            String s = new String(all, java.nio.charset.StandardCharsets.UTF_8);
            int nl = s.indexOf('\n');
            s = nl >= 0 ? s.substring(0, nl) : s;
            return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("reading the password from standard input: " + e.getMessage(), e);
        }
    }

    RegistryOptions options(ImageReference ref, CommandLine cmd) {
        RegistryOptions o = RegistryOptions.defaults().withTlsVerify(tlsVerify)
                .withRegistriesConf(registriesConf())
                .withNotices(event -> {
                    if (event instanceof ProgressEvent.Warning w) {
                        System.err.println("warning: " + w.message());
                    }
                });
        if (certDir != null) {
            o = o.withCertDir(certDir);
        }
        if (authFile != null) {
            o = o.withCredentials(CredentialStore.authFile(authFile));
        }
        if (passwordStdin && creds == null) {
            throw new CommandLine.ParameterException(cmd, "--password-stdin needs --creds USER");
        }
        if (creds != null) {
            if (ref == null) {
                throw new CommandLine.ParameterException(cmd, "--creds is for a registry, and none is named");
            }
            int colon = creds.indexOf(':');
            String user = colon < 0 ? creds : creds.substring(0, colon);
            String password;
            if (passwordStdin) {
                if (colon >= 0) {
                    throw new CommandLine.ParameterException(cmd, "--creds gives a password and --password-stdin "
                            + "too: give the user name alone");
                }
                password = readPasswordFromStdin();
            } else if (colon > 0) {
                password = creds.substring(colon + 1);
            } else {
                throw new CommandLine.ParameterException(cmd, "--creds must be USER:PASSWORD, or USER with "
                        + "--password-stdin");
            }
            if (user.isEmpty()) {
                throw new CommandLine.ParameterException(cmd, "--creds names no user");
            }
            o = o.withCredentials(CredentialStore.of(ref.registry(), Credentials.basic(user, password)));
        }
        return o;
    }
}
