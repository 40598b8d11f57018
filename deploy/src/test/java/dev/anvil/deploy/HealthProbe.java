package dev.anvil.deploy;

import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import java.util.concurrent.TimeUnit;

/**
 * Waits until a gRPC server's standard health service answers SERVING: {@code HealthProbe HOST:PORT
 * SECONDS} exits 0 then, or 1 with the last status. OciImageTest runs it with {@code ip netns exec}
 * inside the network namespace of a container, which its own JVM cannot enter (the kubelet's grpc
 * probe, from the host's side).
 */
final class HealthProbe {
  private HealthProbe() {}

  public static void main(String[] args) throws InterruptedException {
    String target = args[0];
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(Long.parseLong(args[1]));
    ManagedChannel channel =
        Grpc.newChannelBuilder(target, InsecureChannelCredentials.create()).build();
    Status last = Status.UNAVAILABLE;
    try {
      while (System.nanoTime() < deadline) {
        try {
          HealthCheckResponse.ServingStatus s =
              HealthGrpc.newBlockingStub(channel)
                  .withDeadlineAfter(2, TimeUnit.SECONDS)
                  .check(HealthCheckRequest.getDefaultInstance())
                  .getStatus();
          if (s == HealthCheckResponse.ServingStatus.SERVING) {
            System.out.println("health: " + target + " SERVING");
            System.exit(0);
          }
          last = Status.UNAVAILABLE.withDescription("health status " + s);
        } catch (StatusRuntimeException e) {
          last = e.getStatus();
        }
        Thread.sleep(250);
      }
    } finally {
      channel.shutdownNow();
    }
    System.err.println("health: " + target + " not SERVING in " + args[1] + " s: " + last);
    System.exit(1);
  }
}
