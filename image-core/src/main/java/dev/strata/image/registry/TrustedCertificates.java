package dev.strata.image.registry;

import dev.strata.image.StrataException;
import dev.strata.image.ErrorKind;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import javax.net.ssl.X509TrustManager;
import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
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

    /**
     * The system trust, loaded when a TLS connection first needs it: a client of a plain-HTTP (e.g. loopback)
     * registry then never parses the JDK's CA store, which costs a short-lived process about a tenth of a second.
     * Every check is the JDK's own trust manager's (hostname identification included).
     */
    static SSLContext lazySystemTrust() {
        try {
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, new TrustManager[] {new LazyTrustManager()}, null);
            return ctx;
        } catch (GeneralSecurityException e) {
            throw new StrataException(ErrorKind.UNSUPPORTED, "cannot set up TLS: " + e.getMessage(), e);
        }
    }

    private static final class LazyTrustManager extends X509ExtendedTrustManager {
        private volatile X509ExtendedTrustManager delegate;

        private X509ExtendedTrustManager delegate() throws CertificateException {
            X509ExtendedTrustManager d = delegate;
            if (d == null) {
                try {
                    X509TrustManager system = systemTrust();
                    if (!(system instanceof X509ExtendedTrustManager x)) {
                        throw new CertificateException("the JDK's trust manager cannot check host names");
                    }
                    d = x;
                } catch (GeneralSecurityException e) {
                    throw new CertificateException("cannot load the system trust store: " + e.getMessage(), e);
                }
                delegate = d;
            }
            return d;
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
                throws CertificateException {
            delegate().checkClientTrusted(chain, authType, socket);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
                throws CertificateException {
            delegate().checkServerTrusted(chain, authType, socket);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                throws CertificateException {
            delegate().checkClientTrusted(chain, authType, engine);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                throws CertificateException {
            delegate().checkServerTrusted(chain, authType, engine);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            delegate().checkClientTrusted(chain, authType);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            delegate().checkServerTrusted(chain, authType);
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            try {
                return delegate().getAcceptedIssuers();
            } catch (CertificateException e) {
                return new X509Certificate[0];
            }
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
