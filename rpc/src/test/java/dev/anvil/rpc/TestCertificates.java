package dev.anvil.rpc;

import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * Certificates made for a test: a CA, and leaves it signs for a server (SAN 127.0.0.1 and
 * localhost) or a client, valid now or already expired, written as PEM files.
 */
public final class TestCertificates {
  private static final AtomicLong SERIAL = new AtomicLong(System.nanoTime());

  /** A certificate authority. */
  public record Ca(String name, KeyPair keys, X509Certificate certificate, Path pem) {
    /** A server certificate for 127.0.0.1 and localhost, valid for a day. */
    public Leaf server(Path dir, String name) {
      return leaf(dir, name, true, Instant.now().minusSeconds(60), Duration.ofDays(1));
    }

    /** A server certificate that expired yesterday. */
    public Leaf expiredServer(Path dir, String name) {
      return leaf(dir, name, true, Instant.now().minus(Duration.ofDays(3)), Duration.ofDays(1));
    }

    /** A client certificate, valid for a day. */
    public Leaf client(Path dir, String name) {
      return leaf(dir, name, false, Instant.now().minusSeconds(60), Duration.ofDays(1));
    }

    private Leaf leaf(Path dir, String cn, boolean server, Instant from, Duration valid) {
      try {
        KeyPair kp = keyPair();
        X509v3CertificateBuilder b =
            new JcaX509v3CertificateBuilder(
                new X500Name("CN=" + name),
                BigInteger.valueOf(SERIAL.incrementAndGet()),
                Date.from(from),
                Date.from(from.plus(valid)),
                new X500Name("CN=" + cn),
                kp.getPublic());
        b.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
        b.addExtension(
            Extension.keyUsage,
            true,
            new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyEncipherment));
        if (server) {
          b.addExtension(
              Extension.subjectAlternativeName,
              false,
              new GeneralNames(
                  new GeneralName[] {
                    new GeneralName(GeneralName.iPAddress, "127.0.0.1"),
                    new GeneralName(GeneralName.dNSName, "localhost")
                  }));
        }
        X509Certificate cert = sign(b, keys.getPrivate());
        Path certFile = write(dir.resolve(cn + ".crt"), cert);
        Path keyFile =
            write(dir.resolve(cn + ".key"), new JcaPKCS8Generator(kp.getPrivate(), null));
        return new Leaf(cert, certFile, keyFile);
      } catch (IOException | GeneralSecurityException | RuntimeException e) {
        throw new IllegalStateException(e);
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }
  }

  /** A certificate and its key, as PEM files. */
  public record Leaf(X509Certificate certificate, Path certFile, Path keyFile) {}

  /** A new CA named {@code name}, its certificate written to {@code dir/name.crt}. */
  public static Ca ca(Path dir, String name) {
    try {
      KeyPair kp = keyPair();
      Instant now = Instant.now().minusSeconds(60);
      X509v3CertificateBuilder b =
          new JcaX509v3CertificateBuilder(
              new X500Name("CN=" + name),
              BigInteger.valueOf(SERIAL.incrementAndGet()),
              Date.from(now),
              Date.from(now.plus(Duration.ofDays(30))),
              new X500Name("CN=" + name),
              kp.getPublic());
      b.addExtension(Extension.basicConstraints, true, new BasicConstraints(true));
      b.addExtension(
          Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
      X509Certificate cert = sign(b, kp.getPrivate());
      return new Ca(name, kp, cert, write(dir.resolve(name + ".crt"), cert));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static KeyPair keyPair() throws GeneralSecurityException {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(256);
    return g.generateKeyPair();
  }

  private static X509Certificate sign(X509v3CertificateBuilder b, PrivateKey key) throws Exception {
    return new JcaX509CertificateConverter()
        .getCertificate(b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(key)));
  }

  private static Path write(Path file, Object pem) {
    StringWriter out = new StringWriter();
    try (JcaPEMWriter w = new JcaPEMWriter(out)) {
      w.writeObject(pem);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    try {
      Files.createDirectories(file.getParent());
      return Files.writeString(file, out.toString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private TestCertificates() {}
}
