package dev.anvil.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.SecurityContext;
import io.fabric8.kubernetes.api.model.Volume;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Every pod satisfies the {@code restricted} Pod Security Standard. */
class PodSecurityTest {
  /** Volume types the restricted standard allows. */
  private static final Set<String> RESTRICTED_VOLUMES =
      Set.of(
          "configMap",
          "csi",
          "downwardAPI",
          "emptyDir",
          "ephemeral",
          "persistentVolumeClaim",
          "projected",
          "secret");

  static Stream<String> renderings() {
    return Stream.of("default", "production-gpu");
  }

  private static Rendering render(String name) {
    return name.equals("default") ? Chart.render() : Chart.render(Chart.PRODUCTION_GPU);
  }

  @ParameterizedTest(name = "{0} values")
  @MethodSource("renderings")
  void everyPodAndContainerIsRestricted(String values) {
    Rendering r = render(values);
    assertThat(r.workloads()).hasSize(2);

    for (Rendering.Workload w : r.workloads()) {
      PodSpec pod = w.template().getSpec();
      var podContext = pod.getSecurityContext();
      assertThat(podContext.getRunAsNonRoot()).as(w.name()).isTrue();
      assertThat(podContext.getRunAsUser()).as(w.name()).isEqualTo(65532L);
      assertThat(podContext.getFsGroup()).as(w.name()).isEqualTo(65532L);
      assertThat(podContext.getSeccompProfile().getType()).isEqualTo("RuntimeDefault");
      assertThat(pod.getAutomountServiceAccountToken()).as(w.name()).isFalse();
      assertThat(pod.getServiceAccountName()).isEqualTo("anvil");
      assertThat(pod.getHostNetwork()).as(w.name()).isNotEqualTo(Boolean.TRUE);
      assertThat(pod.getHostPID()).isNotEqualTo(Boolean.TRUE);
      assertThat(pod.getHostIPC()).isNotEqualTo(Boolean.TRUE);
      assertThat(pod.getVolumes()).allSatisfy(v -> assertRestrictedVolume(w.name(), v));

      List<Container> containers =
          Stream.concat(
                  pod.getContainers().stream(),
                  pod.getInitContainers() == null
                      ? Stream.empty()
                      : pod.getInitContainers().stream())
              .toList();
      for (Container c : containers) {
        SecurityContext sc = c.getSecurityContext();
        String what = w.name() + "/" + c.getName();
        assertThat(sc).as(what).isNotNull();
        assertThat(sc.getAllowPrivilegeEscalation()).as(what).isFalse();
        assertThat(sc.getPrivileged()).as(what).isNotEqualTo(Boolean.TRUE);
        assertThat(sc.getRunAsNonRoot()).as(what).isTrue();
        assertThat(sc.getReadOnlyRootFilesystem()).as(what).isTrue();
        assertThat(sc.getCapabilities().getDrop()).as(what).containsExactly("ALL");
        assertThat(sc.getCapabilities().getAdd()).as(what).isNullOrEmpty();
        assertThat(sc.getSeccompProfile().getType()).as(what).isEqualTo("RuntimeDefault");
        assertThat(c.getPorts())
            .as(what + ": no host ports")
            .allSatisfy(p -> assertThat(p.getHostPort()).isNull());
      }
    }
  }

  @ParameterizedTest(name = "{0} values")
  @MethodSource("renderings")
  void writablePathsAreVolumesBecauseTheRootFilesystemIsReadOnly(String values) {
    Rendering r = render(values);

    assertThat(mountPaths(r.workload("anvil-context-engine")))
        .contains("/var/lib/anvil", "/var/lib/anvil/djl", "/tmp", "/etc/anvil/policy-pack");
    assertThat(mountPaths(r.workload("anvil-trainer")))
        .contains(
            "/var/lib/anvil/jobs",
            "/var/lib/anvil/models",
            "/var/lib/anvil/djl",
            "/tmp",
            "/etc/anvil/policy-pack");
    for (Rendering.Workload w : r.workloads()) {
      assertThat(w.template().getSpec().getVolumes())
          .as("%s: the DJL cache and /tmp are fresh for each pod", w.name())
          .filteredOn(v -> Set.of("djl-cache", "tmp").contains(v.getName()))
          .hasSize(2)
          .allSatisfy(v -> assertThat(v.getEmptyDir()).isNotNull());
    }
  }

  @Test
  void defaultValuesRequestNoGpu() {
    var trainer = Chart.render().workload("anvil-trainer");
    var resources = trainer.container().getResources();

    assertThat(resources.getLimits()).doesNotContainKey("nvidia.com/gpu");
    assertThat(resources.getRequests()).doesNotContainKey("nvidia.com/gpu");
    assertThat(trainer.container().getImage()).isEqualTo("anvil/trainer:0.1.0");
    assertThat(trainer.template().getSpec().getNodeSelector()).isNullOrEmpty();
    assertThat(trainer.template().getSpec().getTolerations()).isNullOrEmpty();
  }

  @Test
  void gpuValuesAddTheGpuLimitNodeSelectorTolerationsAndCudaLibtorch() {
    var trainer = Chart.render(Chart.PRODUCTION_GPU).workload("anvil-trainer");
    PodSpec pod = trainer.template().getSpec();

    assertThat(trainer.container().getResources().getLimits())
        .containsEntry("nvidia.com/gpu", new Quantity("1"));
    assertThat(pod.getNodeSelector()).containsEntry("nvidia.com/gpu.present", "true");
    assertThat(pod.getTolerations())
        .anySatisfy(
            t -> {
              assertThat(t.getKey()).isEqualTo("nvidia.com/gpu");
              assertThat(t.getEffect()).isEqualTo("NoSchedule");
            });
    assertThat(pod.getRuntimeClassName()).isEqualTo("nvidia");
    assertThat(trainer.container().getImage()).endsWith("/anvil/trainer-cuda:0.1.0");
    assertThat(pod.getVolumes())
        .anySatisfy(
            v -> {
              assertThat(v.getName()).isEqualTo("libtorch");
              assertThat(v.getPersistentVolumeClaim().getClaimName())
                  .isEqualTo("libtorch-2.7.1-cu128");
              assertThat(v.getPersistentVolumeClaim().getReadOnly()).isTrue();
            });
  }

  @Test
  void theOnlyHostPathIsTheOptInLibtorchDirectory(@TempDir Path dir) {
    Path values =
        Chart.values(
            dir,
            """
            trainer:
              gpu:
                enabled: true
                libtorch:
                  hostPath: /opt/libtorch-2.7.1-cu128
            """);

    Rendering r = Chart.render(values);

    var hostPaths =
        r.workloads().stream()
            .flatMap(w -> w.template().getSpec().getVolumes().stream())
            .filter(v -> v.getHostPath() != null)
            .toList();
    assertThat(hostPaths)
        .singleElement()
        .satisfies(
            v -> {
              assertThat(v.getName()).isEqualTo("libtorch");
              assertThat(v.getHostPath().getPath()).isEqualTo("/opt/libtorch-2.7.1-cu128");
            });
    assertThat(r.workload("anvil-trainer").container().getVolumeMounts())
        .filteredOn(m -> m.getName().equals("libtorch"))
        .singleElement()
        .satisfies(m -> assertThat(m.getReadOnly()).isTrue());
  }

  private static List<String> mountPaths(Rendering.Workload w) {
    return w.container().getVolumeMounts().stream().map(m -> m.getMountPath()).toList();
  }

  private static void assertRestrictedVolume(String workload, Volume v) {
    List<String> types = volumeTypes(v);
    assertThat(types).as(workload + " volume " + v.getName()).hasSize(1);
    assertThat(RESTRICTED_VOLUMES).as(workload + " volume " + v.getName()).contains(types.get(0));
  }

  private static List<String> volumeTypes(Volume v) {
    Stream.Builder<String> types = Stream.builder();
    if (v.getConfigMap() != null) types.add("configMap");
    if (v.getCsi() != null) types.add("csi");
    if (v.getDownwardAPI() != null) types.add("downwardAPI");
    if (v.getEmptyDir() != null) types.add("emptyDir");
    if (v.getEphemeral() != null) types.add("ephemeral");
    if (v.getPersistentVolumeClaim() != null) types.add("persistentVolumeClaim");
    if (v.getProjected() != null) types.add("projected");
    if (v.getSecret() != null) types.add("secret");
    if (v.getHostPath() != null) types.add("hostPath");
    if (v.getNfs() != null) types.add("nfs");
    if (v.getImage() != null) types.add("image");
    return types.build().toList();
  }
}
