package dev.anvil.context.index.elastic;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.anvil.context.api.ContextException;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * The REST API Elasticsearch and OpenSearch share, as JSON in and out, over the JDK's HTTP client:
 * the few endpoints the backend calls (index creation and mapping, bulk, search, delete by query,
 * refresh, stats). An endpoint that cannot be reached is skipped for the next one of the configured
 * list.
 *
 * <p>Why not the official Java client: the requests are a handful of small JSON bodies, and the JDK
 * client with Gson (already a dependency) adds no transport, JSON-binding or telemetry libraries to
 * the engine. Thread-safe.
 */
final class ElasticClient implements AutoCloseable {
  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(60);

  private final HttpClient http;
  private final List<URI> urls;
  private final Optional<String> authorization;
  private volatile int current;

  ElasticClient(ElasticConfig config) {
    this.urls = config.urls();
    HttpClient.Builder b =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(CONNECT_TIMEOUT);
    config.caCertificate().ifPresent(ca -> b.sslContext(trusting(ca)));
    this.http = b.build();
    this.authorization = config.credentialsFile().map(ElasticClient::authorization);
  }

  /** A response: its HTTP status and JSON body (an empty object for a body-less one). */
  record Response(int status, JsonObject body) {
    boolean ok() {
      return status >= 200 && status < 300;
    }
  }

  /** Sends a request whose refusal (a status outside 2xx) is an error naming what was refused. */
  JsonObject call(String method, String path, JsonElement body) {
    Response r = send(method, path, body == null ? null : body.toString(), "application/json");
    if (!r.ok()) {
      throw refused(method, path, r);
    }
    return r.body();
  }

  /** Sends a request and returns whatever status came back (e.g. 404 for an absent index). */
  Response send(String method, String path, JsonElement body) {
    return send(method, path, body == null ? null : body.toString(), "application/json");
  }

  /** Sends newline-delimited JSON (a bulk request). */
  JsonObject bulk(String path, String ndjson) {
    Response r = send("POST", path, ndjson, "application/x-ndjson");
    if (!r.ok()) {
      throw refused("POST", path, r);
    }
    return r.body();
  }

  private Response send(String method, String path, String body, String contentType) {
    IOException last = null;
    for (int attempt = 0; attempt < urls.size(); attempt++) {
      int i = (current + attempt) % urls.size();
      URI base = urls.get(i);
      HttpRequest.Builder req =
          HttpRequest.newBuilder(base.resolve(path))
              .timeout(REQUEST_TIMEOUT)
              .method(
                  method,
                  body == null
                      ? HttpRequest.BodyPublishers.noBody()
                      : HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
      if (body != null) {
        req.header("Content-Type", contentType);
      }
      authorization.ifPresent(a -> req.header("Authorization", a));
      try {
        HttpResponse<String> res =
            http.send(req.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        current = i;
        String text = res.body();
        JsonObject json =
            text == null || text.isBlank() || !text.trim().startsWith("{")
                ? new JsonObject()
                : JsonParser.parseString(text).getAsJsonObject();
        return new Response(res.statusCode(), json);
      } catch (ConnectException | HttpTimeoutException e) {
        last = e; // the next endpoint may answer
      } catch (IOException e) {
        last = e;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new ContextException("interrupted while calling the cluster: " + method + " " + path);
      }
    }
    throw new ContextException(
        "cannot reach the cluster at "
            + urls
            + " ("
            + method
            + " "
            + path
            + "): "
            + (last == null
                ? "no endpoint"
                : last.getClass().getSimpleName() + " " + last.getMessage()),
        last);
  }

  /** The cluster's refusal, with its error type and reason. */
  static ContextException refused(String method, String path, Response r) {
    return new ContextException(
        "the cluster refused " + method + " " + path + ": " + r.status() + " " + reason(r.body()));
  }

  /** The error type and reason of an Elasticsearch error body (its root cause where given). */
  static String reason(JsonObject body) {
    JsonElement error = body.get("error");
    if (error == null) {
      return body.toString();
    }
    if (!error.isJsonObject()) {
      return error.getAsString();
    }
    JsonObject e = error.getAsJsonObject();
    String type = e.has("type") ? e.get("type").getAsString() : "error";
    String reason =
        e.has("reason") && !e.get("reason").isJsonNull() ? e.get("reason").getAsString() : "";
    if (e.has("caused_by") && e.get("caused_by").isJsonObject()) {
      JsonObject c = e.getAsJsonObject("caused_by");
      if (c.has("reason") && !c.get("reason").isJsonNull()) {
        reason = reason + " (caused by " + c.get("reason").getAsString() + ")";
      }
    }
    return type + ": " + reason;
  }

  /** The Authorization header of a credentials file. */
  static String authorization(Path file) {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8).strip();
    } catch (IOException e) {
      throw new ContextException(
          "es-credentials-file: cannot read " + file + ": " + e.getMessage(), e);
    }
    if (text.isEmpty()) {
      throw new ContextException(
          "es-credentials-file: " + file + " is empty; expected user:password or an API key");
    }
    if (text.contains("\n")) {
      throw new ContextException(
          "es-credentials-file: "
              + file
              + " has several lines; expected one: user:password or"
              + " an API key");
    }
    if (text.startsWith("ApiKey ")) {
      return text;
    }
    if (text.contains(":")) {
      return "Basic " + Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }
    return "ApiKey " + text;
  }

  /** TLS trusting the certificates of a PEM file (the cluster's CA). */
  static SSLContext trusting(Path pem) {
    try (InputStream in = Files.newInputStream(pem)) {
      KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
      store.load(null, null);
      int n = 0;
      for (Certificate c : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
        store.setCertificateEntry("ca-" + n++, c);
      }
      if (n == 0) {
        throw new ContextException("es-ca: " + pem + " holds no PEM certificate");
      }
      TrustManagerFactory tmf =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(store);
      SSLContext ssl = SSLContext.getInstance("TLS");
      ssl.init(null, tmf.getTrustManagers(), null);
      return ssl;
    } catch (IOException | GeneralSecurityException e) {
      throw new ContextException("es-ca: cannot read " + pem + ": " + e.getMessage(), e);
    }
  }

  @Override
  public void close() {
    http.close();
  }
}
