package dev.anvil.deploy;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** The typed objects of one {@code helm template}. */
record Rendering(List<HasMetadata> objects) {
  Rendering {
    objects = List.copyOf(objects);
  }

  /** A pod template of a StatefulSet or Deployment, named after its workload. */
  record Workload(String kind, String name, PodTemplateSpec template) {
    Container container() {
      List<Container> containers = template.getSpec().getContainers();
      if (containers.size() != 1) {
        throw new AssertionError(name + ": expected one container, found " + containers.size());
      }
      return containers.getFirst();
    }
  }

  <T extends HasMetadata> List<T> all(Class<T> kind) {
    return objects.stream().filter(kind::isInstance).map(kind::cast).toList();
  }

  <T extends HasMetadata> Optional<T> find(Class<T> kind, String name) {
    return all(kind).stream().filter(o -> o.getMetadata().getName().equals(name)).findFirst();
  }

  <T extends HasMetadata> T get(Class<T> kind, String name) {
    return find(kind, name)
        .orElseThrow(
            () -> new AssertionError("no " + kind.getSimpleName() + " '" + name + "' rendered"));
  }

  ConfigMap configMap(String name) {
    return get(ConfigMap.class, name);
  }

  List<NetworkPolicy> networkPolicies() {
    return all(NetworkPolicy.class);
  }

  /** Every pod template: the context engine's StatefulSet and the trainer's Deployment. */
  List<Workload> workloads() {
    List<Workload> workloads = new ArrayList<>();
    for (StatefulSet s : all(StatefulSet.class)) {
      workloads.add(
          new Workload("StatefulSet", s.getMetadata().getName(), s.getSpec().getTemplate()));
    }
    for (Deployment d : all(Deployment.class)) {
      workloads.add(
          new Workload("Deployment", d.getMetadata().getName(), d.getSpec().getTemplate()));
    }
    return workloads;
  }

  Workload workload(String name) {
    return workloads().stream()
        .filter(w -> w.name().equals(name))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no workload '" + name + "' rendered"));
  }
}
