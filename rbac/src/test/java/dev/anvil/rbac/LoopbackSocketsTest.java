package dev.anvil.rbac;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import java.net.ServerSocket;
import org.junit.jupiter.api.Test;

class LoopbackSocketsTest {
  @Test
  void findsOurOwnLoopbackListenerWithItsProcess() throws Exception {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      assertThat(LoopbackSockets.onPort(s.getLocalPort()))
          .singleElement()
          .satisfies(
              l -> {
                assertThat(l.loopbackOnly()).isTrue();
                assertThat(l.pids()).contains(ProcessHandle.current().pid());
              });
    }
  }

  @Test
  void readsTheKernelsAddressesAsSsPrintsThem() {
    assertThat(LoopbackSockets.address("0100007F:1F90")).isEqualTo("127.0.0.1:8080");
    assertThat(LoopbackSockets.address("00000000:0050")).isEqualTo("0.0.0.0:80");
    assertThat(LoopbackSockets.address("0000000000000000FFFF00000100007F:1F90"))
        .isEqualTo("[::ffff:127.0.0.1]:8080");
    assertThat(LoopbackSockets.address("00000000000000000000000000000000:0050"))
        .isEqualTo("[::]:80");
    assertThat(LoopbackSockets.address("00000000000000000000000001000000:0050"))
        .isEqualTo("[::1]:80");
  }

  @Test
  void onlyLoopbackAddressesCountAsLoopback() {
    assertThat(new LoopbackSockets.Listener("0.0.0.0:80", java.util.List.of()).loopbackOnly())
        .isFalse();
    assertThat(new LoopbackSockets.Listener("[::]:80", java.util.List.of()).loopbackOnly())
        .isFalse();
    assertThat(
            new LoopbackSockets.Listener("[::ffff:127.0.0.1]:80", java.util.List.of())
                .loopbackOnly())
        .isTrue();
  }
}
