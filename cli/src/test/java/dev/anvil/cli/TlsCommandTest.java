package dev.anvil.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.anvil.rpc.TestCertificates;
import java.nio.file.Path;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code anvil serve} over TLS with a certificate made in the test, asked by {@code anvil search
 * --server} trusting its CA; a plaintext client is refused; plaintext off loopback is refused at
 * start with the way out named.
 */
@Tag("heavy")
class TlsCommandTest {
  @TempDir Path data;

  @BeforeEach
  void dataDir() {
    System.setProperty("anvil.data", data.toString()); // the in-process commands' dev issuer
  }

  @AfterEach
  void clear() {
    System.clearProperty("anvil.data");
  }

  @Test
  void searchReachesATlsServerThatItsCaVouchesFor() throws Exception {
    TestCertificates.Ca ca = TestCertificates.ca(data, "anvil-ca");
    TestCertificates.Leaf cert = ca.server(data, "engine");
    try (AnvilProcess serve =
        AnvilProcess.start(
            data,
            "serve",
            "--dev",
            "--port",
            "0",
            "--tls-cert",
            cert.certFile().toString(),
            "--tls-key",
            cert.keyFile().toString())) {
      String port =
          serve.await(
              Pattern.compile("serving \\d+ chunks on 127\\.0\\.0\\.1:(\\d+) \\(TLS,"),
              "anvil serve to listen over TLS");
      String server = "127.0.0.1:" + port;
      String pack = PolicyCommandTest.examplePack().toString();

      PolicyCommandTest.Run ok =
          PolicyCommandTest.anvil(
              "search",
              "kernel",
              "--as",
              "alice",
              "--pack",
              pack,
              "--server",
              server,
              "--tls-ca",
              ca.pem().toString());
      assertThat(ok.exit()).as(ok.err()).isZero();
      assertThat(ok.out()).contains("(policy set sha256:");

      PolicyCommandTest.Run plain =
          PolicyCommandTest.anvil(
              "search", "kernel", "--as", "alice", "--pack", pack, "--server", server);
      assertThat(plain.exit()).isNotZero();
      assertThat(plain.err()).contains("UNAVAILABLE");

      TestCertificates.Ca other = TestCertificates.ca(data, "other-ca");
      PolicyCommandTest.Run stranger =
          PolicyCommandTest.anvil(
              "search",
              "kernel",
              "--as",
              "alice",
              "--pack",
              pack,
              "--server",
              server,
              "--tls-ca",
              other.pem().toString());
      assertThat(stranger.exit()).isNotZero();
    }
  }

  @Test
  void plaintextOffLoopbackIsRefusedAtStart() {
    PolicyCommandTest.Run r =
        PolicyCommandTest.anvil(
            "serve",
            "--dev",
            "--host",
            "0.0.0.0",
            "--port",
            "0",
            "--pack",
            PolicyCommandTest.examplePack().toString());
    assertThat(r.exit()).isEqualTo(Main.USAGE);
    assertThat(r.err())
        .contains("refusing to serve plaintext on 0.0.0.0")
        .contains("--tls-cert and --tls-key, or --insecure-plaintext");
  }
}
