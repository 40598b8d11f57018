package dev.anvil.rpc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.anvil.identity.DevTokenIssuer;
import dev.anvil.rbac.Principal;
import io.grpc.BindableService;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCalls;
import io.opentelemetry.api.OpenTelemetry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS and mTLS on every Anvil listener, over real sockets on 127.0.0.1 with certificates made in
 * the test: a trusted server answers; a client of another CA, a plaintext client, an expired
 * certificate and (with mTLS) a client without a trusted certificate are refused; a rotated
 * certificate is served without a restart; plaintext is refused off loopback.
 */
@Timeout(60)
class GrpcTlsTest {
  @TempDir Path dir;
  DevTokenIssuer issuer;
  String token;
  final List<AutoCloseable> open = new ArrayList<>();

  /** {@code Who} answers the caller's subject and the subject of its client certificate. */
  static BindableService echo() {
    return () ->
        ServerServiceDefinition.builder("anvil.test.Echo")
            .addMethod(
                GrpcServerTest.WHO,
                ServerCalls.asyncUnaryCall(
                    (request, response) -> {
                      String cert = GrpcServer.CLIENT_CERTIFICATE.get();
                      response.onNext(
                          AuthInterceptor.IDENTITY.get().principal().subject()
                              + (cert == null ? "" : " via " + cert));
                      response.onCompleted();
                    }))
            .build();
  }

  @BeforeEach
  void issuer() {
    issuer = DevTokenIssuer.openOrCreate(dir.resolve("key.jwk.json"), Clock.systemUTC());
    token = issuer.mint(Principal.of("alice"), "test", Duration.ofMinutes(5));
  }

  @AfterEach
  void close() throws Exception {
    for (AutoCloseable c : open.reversed()) {
      c.close();
    }
  }

  GrpcServer serve(ServerTransport transport) {
    GrpcServer s =
        GrpcServer.start(
            "127.0.0.1", 0, transport, issuer.verifier(), OpenTelemetry.noop(), List.of(echo()));
    open.add(s);
    return s;
  }

  String call(GrpcServer server, ClientTransport transport) {
    try (GrpcClient c =
        GrpcClient.connect(
            "127.0.0.1",
            server.port(),
            transport,
            () -> token,
            Duration.ofSeconds(10),
            OpenTelemetry.noop())) {
      return c.stub(ch -> new GrpcServerTest.EchoStub(ch, io.grpc.CallOptions.DEFAULT)).who("hi");
    }
  }

  static void assertRefused(Runnable call) {
    assertThatThrownBy(call::run)
        .isInstanceOfSatisfying(
            StatusRuntimeException.class,
            e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE));
  }

  @Test
  void aTlsServerAnswersClientsThatTrustItsCaAndNoOneElse() {
    TestCertificates.Ca ca = TestCertificates.ca(dir, "anvil-ca");
    TestCertificates.Leaf cert = ca.server(dir, "engine");
    GrpcServer server = serve(ServerTransport.Tls.of(cert.certFile(), cert.keyFile()));

    assertThat(call(server, ClientTransport.Tls.trusting(ca.pem()))).isEqualTo("alice");
    // Another CA, the JVM's own CAs, plaintext: no call goes through.
    TestCertificates.Ca other = TestCertificates.ca(dir, "other-ca");
    assertRefused(() -> call(server, ClientTransport.Tls.trusting(other.pem())));
    assertRefused(
        () ->
            call(
                server,
                new ClientTransport.Tls(Optional.empty(), Optional.empty(), Optional.empty())));
    assertRefused(() -> call(server, ClientTransport.PLAINTEXT));
  }

  @Test
  void probesThatCannotSpeakTlsAskTheHealthOnlyPort() {
    TestCertificates.Ca ca = TestCertificates.ca(dir, "anvil-ca");
    TestCertificates.Leaf cert = ca.server(dir, "engine");
    GrpcServer server =
        serve(ServerTransport.Tls.of(cert.certFile(), cert.keyFile()))
            .serveHealthOn("127.0.0.1", 0);
    io.grpc.ManagedChannel ch =
        io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder.forAddress(
                "127.0.0.1", server.healthPort().orElseThrow())
            .usePlaintext()
            .build();
    try {
      assertThat(
              io.grpc.health.v1.HealthGrpc.newBlockingStub(ch)
                  .check(io.grpc.health.v1.HealthCheckRequest.getDefaultInstance())
                  .getStatus())
          .isEqualTo(io.grpc.health.v1.HealthCheckResponse.ServingStatus.SERVING);
      // Nothing else is there: the service is not on the health port.
      assertThatThrownBy(
              () -> new GrpcServerTest.EchoStub(ch, io.grpc.CallOptions.DEFAULT).who("hi"))
          .isInstanceOfSatisfying(
              StatusRuntimeException.class,
              e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNIMPLEMENTED));
    } finally {
      ch.shutdownNow();
    }
  }

  @Test
  void anExpiredCertificateIsRefused() {
    TestCertificates.Ca ca = TestCertificates.ca(dir, "anvil-ca");
    TestCertificates.Leaf expired = ca.expiredServer(dir, "engine");
    GrpcServer server = serve(ServerTransport.Tls.of(expired.certFile(), expired.keyFile()));
    assertRefused(() -> call(server, ClientTransport.Tls.trusting(ca.pem())));
  }

  @Test
  void mutualTlsAdmitsOnlyClientsWithACertificateOfItsCaAndNamesThem() {
    TestCertificates.Ca ca = TestCertificates.ca(dir, "anvil-ca");
    TestCertificates.Leaf cert = ca.server(dir, "engine");
    TestCertificates.Ca clients = TestCertificates.ca(dir, "clients-ca");
    TestCertificates.Leaf trainer = clients.client(dir, "trainer");
    GrpcServer server =
        serve(
            new ServerTransport.Tls(
                cert.certFile(),
                cert.keyFile(),
                Optional.of(clients.pem()),
                true,
                Duration.ofMinutes(1)));

    String answer =
        call(
            server,
            new ClientTransport.Tls(
                Optional.of(ca.pem()),
                Optional.of(trainer.certFile()),
                Optional.of(trainer.keyFile())));
    assertThat(answer).isEqualTo("alice via CN=trainer");
    // No certificate, or one another CA signed.
    assertRefused(() -> call(server, ClientTransport.Tls.trusting(ca.pem())));
    TestCertificates.Leaf stranger = ca.client(dir, "stranger");
    assertRefused(
        () ->
            call(
                server,
                new ClientTransport.Tls(
                    Optional.of(ca.pem()),
                    Optional.of(stranger.certFile()),
                    Optional.of(stranger.keyFile()))));
  }

  @Test
  void aRotatedCertificateIsServedWithoutARestart() throws Exception {
    TestCertificates.Ca first = TestCertificates.ca(dir, "first-ca");
    TestCertificates.Leaf old = first.server(dir.resolve("old"), "engine");
    Path certFile = Files.copy(old.certFile(), dir.resolve("tls.crt"));
    Path keyFile = Files.copy(old.keyFile(), dir.resolve("tls.key"));
    GrpcServer server =
        serve(
            new ServerTransport.Tls(
                certFile, keyFile, Optional.empty(), false, Duration.ofMillis(200)));
    assertThat(call(server, ClientTransport.Tls.trusting(first.pem()))).isEqualTo("alice");

    // cert-manager writes a certificate of a new CA; clients that trust only it get through.
    TestCertificates.Ca second = TestCertificates.ca(dir, "second-ca");
    TestCertificates.Leaf renewed = second.server(dir.resolve("new"), "engine");
    Path tmpKey = Files.copy(renewed.keyFile(), dir.resolve("tls.key.tmp"));
    Path tmpCert = Files.copy(renewed.certFile(), dir.resolve("tls.crt.tmp"));
    Files.move(
        tmpKey, keyFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    Files.move(
        tmpCert, certFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    dev.anvil.rbac.TestUtils.waitForCondition(
        () -> {
          try {
            return call(server, ClientTransport.Tls.trusting(second.pem())).equals("alice");
          } catch (StatusRuntimeException e) {
            return false;
          }
        },
        Duration.ofSeconds(20),
        "the renewed certificate served");
    assertRefused(() -> call(server, ClientTransport.Tls.trusting(first.pem())));
  }

  @Test
  void plaintextIsRefusedOffLoopback() {
    assertThatThrownBy(
            () ->
                GrpcServer.start(
                    "0.0.0.0",
                    0,
                    ServerTransport.LOOPBACK_PLAINTEXT,
                    issuer.verifier(),
                    OpenTelemetry.noop(),
                    List.of(echo())))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("refusing to serve plaintext on 0.0.0.0")
        .hasMessageContaining("--insecure-plaintext");
  }

  @Test
  void unreadableCertificateFilesStopTheStartNamingThem() {
    Path missing = dir.resolve("missing.crt");
    assertThatThrownBy(() -> serve(ServerTransport.Tls.of(missing, dir.resolve("missing.key"))))
        .isInstanceOf(java.io.UncheckedIOException.class)
        .hasMessageContaining("cannot read the TLS certificate " + missing);
  }
}
