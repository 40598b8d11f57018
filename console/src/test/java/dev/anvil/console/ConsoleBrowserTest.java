package dev.anvil.console;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The console in a real browser: Debian's headless Chromium driven through Debian's chromedriver
 * (named explicitly, so Selenium Manager never runs nor downloads), over TLS. Signs in with the
 * development sign-in page, finds a denied read in the audit log, uploads a proposed pack and sees
 * its diff, and keeps a screenshot of every page under {@code target/console-screenshots}. Skips,
 * saying so, only where Chromium or chromedriver is not installed ({@code scripts/system-deps.sh}
 * installs both; CI runs it).
 */
@Tag("heavy")
class ConsoleBrowserTest {
  static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
  static final Path SHOTS = Path.of("target/console-screenshots");

  @TempDir static Path data;
  static ConsoleFixture console;
  static WebDriver browser;

  @BeforeAll
  static void start() throws IOException {
    Assumptions.assumeTrue(
        Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
        "skipped: Chromium is not installed (/usr/bin/chromium, /usr/bin/chromedriver);"
            + " scripts/system-deps.sh installs the Debian packages chromium and chromium-driver");
    // Over TLS, as in production: the session cookie is Secure.
    console = ConsoleFixture.startTls(data);
    Files.createDirectories(SHOTS);
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    options.setAcceptInsecureCerts(true); // the server certificate is of a CA made by the test
    options.addArguments(
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1400,1000",
        "--user-data-dir=" + data.resolve("chromium-profile"));
    ChromeDriverService service =
        new ChromeDriverService.Builder()
            .usingDriverExecutable(CHROMEDRIVER.toFile())
            .usingAnyFreePort()
            .build();
    browser = new ChromeDriver(service, options);
    browser.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(30));
  }

  @AfterAll
  static void stop() {
    if (browser != null) {
      browser.quit();
    }
    if (console != null) {
      console.close();
    }
  }

  private static void open(String path) {
    browser.get(console.baseUrl() + path);
  }

  private static void shot(String name) throws IOException {
    File f = ((TakesScreenshot) browser).getScreenshotAs(OutputType.FILE);
    Files.copy(
        f.toPath(),
        SHOTS.resolve(name + ".png"),
        java.nio.file.StandardCopyOption.REPLACE_EXISTING);
  }

  private static void signIn(String who) {
    browser.manage().deleteAllCookies();
    open("/audit");
    assertThat(browser.getCurrentUrl()).endsWith("/signin");
    new Select(browser.findElement(By.id("principal"))).selectByValue(who);
    browser.findElement(By.id("sign-in")).click();
    // Signed in, the browser is sent back to the page it asked for (or refused there).
    new WebDriverWait(browser, Duration.ofSeconds(30))
        .until(ExpectedConditions.not(ExpectedConditions.urlContains("/signin")));
  }

  /**
   * Waits for an element of the page a click led to: the driver waits for pages it opens itself,
   * not for one a form's submission loads.
   */
  private static WebElement await(By element) {
    return new WebDriverWait(browser, Duration.ofSeconds(30))
        .until(ExpectedConditions.presenceOfElementLocated(element));
  }

  @Test
  void anAdminSignsInFindsADeniedReadAndSeesADiff() throws IOException {
    console.read("alice", "hr-1"); // denied: hidden from alice
    console.read("alice", ConsoleFixture.SCRIPT_ID);

    signIn("sam");
    assertThat(browser.findElement(By.id("whoami")).getText()).isEqualTo("sam (admin)");
    shot("01-overview");

    open("/policies");
    assertThat(browser.findElement(By.id("validation")).getText()).startsWith("valid: ");
    shot("02-policies");

    open("/audit");
    browser.findElement(By.id("principal")).sendKeys("alice");
    new Select(browser.findElement(By.id("decision"))).selectByValue("refused");
    browser.findElement(By.id("search")).click();
    // The search is a GET: wait for its page, not the one it was sent from.
    new WebDriverWait(browser, Duration.ofSeconds(30))
        .until(ExpectedConditions.urlContains("decision=refused"));
    List<WebElement> denied =
        browser.findElements(By.cssSelector("#records tr")).stream()
            .filter(r -> r.getText().contains("hr-1"))
            .toList();
    assertThat(denied).hasSize(1);
    assertThat(denied.getFirst().getText()).contains("alice").contains("get").contains("NOT_FOUND");
    assertThat(browser.findElement(By.id("chain")).getText()).startsWith("intact");
    shot("03-audit-denied-read");

    // A document id of markup is shown as text, and no script of it exists in the page.
    open("/audit?principal=alice&decision=allowed");
    assertThat(browser.findElement(By.id("records")).getText()).contains(ConsoleFixture.SCRIPT_ID);
    assertThat(
            ((JavascriptExecutor) browser)
                .executeScript("return document.querySelectorAll('script').length"))
        .isEqualTo(0L);
    shot("04-audit-markup-inert");

    Path widen = console.propose("widen");
    Files.writeString(
        widen.resolve("policies/50-widen.yaml"),
        "- id: everyone-reads-internal\n  effect: allow\n  actions: [read]\n"
            + "  when: \"doc.classification == 'internal'\"\n");
    open("/diff");
    browser.findElement(By.id("schema")).sendKeys(widen.resolve("schema.yaml").toString());
    String policies;
    try (Stream<Path> s = Files.list(widen.resolve("policies"))) {
      policies = s.sorted().map(Path::toString).collect(Collectors.joining("\n"));
    }
    browser.findElement(By.id("policies")).sendKeys(policies);
    browser.findElement(By.id("principals")).sendKeys(widen.resolve("principals.yaml").toString());
    browser.findElement(By.id("run-diff")).click();
    String diff = await(By.id("diff")).getText();
    assertThat(diff).contains("eng-1").contains("harry");
    shot("05-diff");

    open("/explain?principal=hannah&document=hr-1");
    assertThat(browser.findElement(By.id("decision")).getText()).startsWith("permit by ");
    shot("06-explain");

    open("/models");
    shot("07-models");
    open("/jobs");
    assertThat(browser.findElement(By.id("no-trainer")).getText()).contains("No trainer");
    shot("08-jobs");
    open("/judgments");
    shot("09-judgments");

    signIn("alice");
    assertThat(browser.findElement(By.tagName("body")).getText()).isEqualTo("403 Forbidden");
    shot("10-forbidden");
  }
}
