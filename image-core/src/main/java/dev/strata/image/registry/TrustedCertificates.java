package dev.strata.image.registry;

import dev.strata.image.StrataException;
import dev.strata.image.ErrorKind;

import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;

/** Builds an SSLContext that trusts the system CAs plus every {@code *.crt} in a directory (like Docker's certs.d). */
final class TrustedCertificates {
    private TrustedCertificates() {
    }

    static SSLContext withExtraCas(Path certDir) {
        try {
            KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
            store.load(null, null);
            int n = 0;
            for (X509Certificate system : systemTrust().getAcceptedIssuers()) {
                store.setCertificateEntry("system-" + n++, system);
            }
            CertificateFactory cf = CertificateFactory.getInstance("X.509");
            int extra = 0;
            try (DirectoryStream<Path> dir = Files.newDirectoryStream(certDir, "*.crt")) {
                for (Path file : dir) {
                    try (InputStream in = Files.newInputStream(file)) {
                        for (Certificate c : cf.generateCertificates(in)) {
                            store.setCertificateEntry("extra-" + extra++, c);
                        }
                    } catch (GeneralSecurityException e) {
                        throw new StrataException(ErrorKind.INVALID_ARGUMENT, "cannot read certificate " + file
                                + ": " + e.getMessage(), e);
                    }
                }
            }
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(store);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, tmf.getTrustManagers(), null);
            return ctx;
        } catch (IOException e) {
            throw new StrataException(ErrorKind.INVALID_ARGUMENT, "cannot read certificate directory " + certDir
                    + ": " + e.getMessage(), e);
        } catch (GeneralSecurityException e) {
            throw new StrataException(ErrorKind.UNSUPPORTED, "cannot set up TLS trust with " + certDir + ": "
                    + e.getMessage(), e);
        }
    }

    private static X509TrustManager systemTrust() throws GeneralSecurityException {
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init((KeyStore) null);
        for (TrustManager tm : tmf.getTrustManagers()) {
            if (tm instanceof X509TrustManager x) {
                return x;
            }
        }
        throw new GeneralSecurityException("no X509 trust manager in the JDK");
    }
}
