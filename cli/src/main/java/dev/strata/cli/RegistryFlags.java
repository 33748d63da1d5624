package dev.strata.cli;

import dev.strata.image.reference.ImageReference;
import dev.strata.image.registry.CredentialStore;
import dev.strata.image.registry.Credentials;
import dev.strata.image.registry.RegistryOptions;
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

    @Option(names = "--creds", paramLabel = "USER:PASSWORD", description = "Credentials for the registry.")
    String creds;

    RegistryOptions options(ImageReference ref, CommandLine cmd) {
        RegistryOptions o = RegistryOptions.defaults().withTlsVerify(tlsVerify);
        if (certDir != null) {
            o = o.withCertDir(certDir);
        }
        if (creds != null) {
            if (ref == null) {
                throw new CommandLine.ParameterException(cmd, "--creds is for a registry, and none is named");
            }
            int colon = creds.indexOf(':');
            if (colon <= 0) {
                throw new CommandLine.ParameterException(cmd, "--creds must be USER:PASSWORD");
            }
            o = o.withCredentials(CredentialStore.of(ref.registry(),
                    Credentials.basic(creds.substring(0, colon), creds.substring(colon + 1))));
        }
        return o;
    }
}
