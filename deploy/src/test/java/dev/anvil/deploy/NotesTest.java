package dev.anvil.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What {@code helm install} tells the operator. */
class NotesTest {
  @Test
  void recommendTheRestrictedPodSecurityLabelForTheNamespace() {
    assertThat(Chart.notes())
        .contains("kubectl label namespace anvil")
        .contains("pod-security.kubernetes.io/enforce=restricted");
  }

  @Test
  void defaultInstallWarnsAboutWhatMustStillBeConfigured() {
    assertThat(Chart.notes())
        .contains("WARNING: contextEngine.auth.issuer is not set")
        .contains("WARNING: trainer.auth.issuer (default: contextEngine.auth.issuer) is not set")
        .contains("WARNING: image.registry is empty")
        .contains("It is the EXAMPLE pack");
  }

  @Test
  void configuredInstallHasNoWarnings() {
    assertThat(Chart.notes(Chart.PRODUCTION_GPU))
        .doesNotContain("WARNING")
        .contains("anvil-context-engine.anvil.svc:7070")
        .contains("Trainer (job runner, GPU")
        .contains("anvil-trainer.anvil.svc:7071")
        .contains("Models: PVC anvil-trainer-models");
  }

  @Test
  void sayWhetherTheTrainerReadsCorporaFromTheEngine(@TempDir Path dir) {
    Path values = Chart.values(dir, "trainer: {tokenExchange: {secretName: kc-trainer}}\n");

    assertThat(Chart.notes())
        .contains(
            "Training corpora from the context engine (data.engine): off"
                + " (trainer.tokenExchange.secretName).");
    assertThat(Chart.notes(values))
        .contains(
            "Training corpora from the context engine (data.engine): read as each job's owner,"
                + " exchanging\n  the caller's token as client anvil-trainer (its secret: key"
                + " client-secret of Secret kc-trainer).");
  }

  @Test
  void libtorchFromANodeDirectoryIsFlaggedAsOutsideTheStandard(@TempDir Path dir) {
    Path values =
        Chart.values(dir, "trainer: {gpu: {enabled: true, libtorch: {hostPath: /opt/libtorch}}}\n");

    assertThat(Chart.notes(values)).contains("WARNING: trainer.gpu.libtorch.hostPath");
  }

  @Test
  void sayWhoMayCallEachPortAndWhichSecretsToBring() {
    assertThat(Chart.notes())
        .contains(
            "Context engine gRPC: pods of namespace anvil labelled\n"
                + "    anvil.dev/context-engine-client=true, and the trainer.")
        .contains("Trainer gRPC: pods of namespace anvil labelled anvil.dev/trainer-client=true.")
        .contains("Health ports (grpc.health.v1 only): any address")
        .contains("create secret generic anvil-tls --type=kubernetes.io/tls")
        .contains("create secret generic anvil-trainer-client-tls --type=kubernetes.io/tls");
    assertThat(Chart.notes(Chart.PRODUCTION_GPU))
        .contains("Context engine gRPC: networkPolicy.ingress.contextEngine.grpc, and the trainer.")
        .contains("Trainer gRPC: networkPolicy.ingress.trainer.grpc.")
        .contains("Health ports (grpc.health.v1 only): networkPolicy.ingress.health.");
  }
}
