package dev.strata.cli;

import dev.strata.image.model.Platform;
import dev.strata.image.testing.Capabilities;
import dev.strata.image.testing.OciImages;
import dev.strata.image.testing.TestRegistry;
import dev.strata.image.testing.TokenServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code login}/{@code logout} and {@code --authfile}/{@code --password-stdin} against real registries: htpasswd
 * (basic) and a token server. Checked: a wrong password is exit 4 and stores nothing; the password never appears in
 * output; other fields of an existing auth file survive; the stored credentials work for a pull.
 */
class LoginCommandTest {
    @TempDir
    static Path shared;
    static TestRegistry basic;
    static TestRegistry token;
    static TokenServer tokens;

    @TempDir
    Path tmp;

    @BeforeAll
    static void start() throws Exception {
        Capabilities.requireTool("docker-registry");
        Capabilities.require(TestRegistry.canMakeBcrypt(), "htpasswd or python3 crypt for a bcrypt password");
        basic = TestRegistry.startWithHtpasswd(shared.resolve("basic"), "alice", "s3cret-pass");
        tokens = new TokenServer(shared.resolve("tokens"), Map.of("bob", "t0ken-pass"), false);
        token = TestRegistry.startWithToken(shared.resolve("token"), tokens, "bob", "t0ken-pass");
        Path layout = shared.resolve("layout");
        OciImages.writeLayout(layout, "app", OciImages.image(new Platform("linux", "amd64"),
                Map.of("hello", "logged in\n")));
        basic.seed(layout, "app", "team/app", "1", false);
    }

    @AfterAll
    static void stop() throws Exception {
        for (AutoCloseable c : new AutoCloseable[] {basic, token, tokens}) {
            if (c != null) {
                c.close();
            }
        }
    }

    private static CliRun withStdin(String stdin, String... args) {
        InputStream old = System.in;
        synchronized (CliRun.class) {
            try {
                System.setIn(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
                return CliRun.of(args);
            } finally {
                System.setIn(old);
            }
        }
    }

    @Test
    void wrongPasswordIsExit4AndStoresNothing() {
        Path auth = tmp.resolve("auth.json");
        CliRun r = withStdin("wrong\n", "login", "--authfile", auth.toString(), "-u", "alice", "--password-stdin",
                basic.host());
        assertThat(r.code()).as(r.err()).isEqualTo(4);
        assertThat(r.err() + r.out()).doesNotContain("wrong");
        assertThat(auth).doesNotExist();
    }

    @Test
    void loginStoresWorkingCredentialsKeepingTheRestOfTheFile() throws Exception {
        Path auth = tmp.resolve("containers/auth.json");
        Files.createDirectories(auth.getParent());
        Files.writeString(auth, "{\"auths\":{\"other.example\":{\"auth\":\"eDp5\"}},\"HttpHeaders\":{\"X\":\"1\"}}");
        CliRun r = withStdin("s3cret-pass\n", "login", "--authfile", auth.toString(), "--username", "alice",
                "--password-stdin", "docker://" + basic.host());
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out()).contains("Login Succeeded").doesNotContain("s3cret");
        String file = Files.readString(auth);
        assertThat(file).contains("other.example").contains("HttpHeaders").contains(basic.host())
                .contains(Base64.getEncoder().encodeToString("alice:s3cret-pass".getBytes(StandardCharsets.UTF_8)));
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(auth))).isEqualTo("rw-------");

        String root = tmp.resolve("store").toString();
        CliRun pull = CliRun.of("--root", root, "--driver", "vfs", "pull", "-q", "--authfile", auth.toString(),
                basic.host() + "/team/app:1");
        assertThat(pull.code()).as(pull.err()).isZero();
        CliRun anonymous = CliRun.of("--root", tmp.resolve("s2").toString(), "--driver", "vfs", "pull", "-q",
                "--authfile", tmp.resolve("none.json").toString(), basic.host() + "/team/app:1");
        assertThat(anonymous.code()).isEqualTo(4);

        CliRun out = CliRun.of("logout", "--authfile", auth.toString(), basic.host());
        assertThat(out.code()).as(out.err()).isZero();
        assertThat(Files.readString(auth)).doesNotContain(basic.host()).contains("other.example");
        assertThat(CliRun.of("logout", "--authfile", auth.toString(), basic.host()).code()).isEqualTo(3);
        CliRun all = CliRun.of("logout", "--authfile", auth.toString(), "--all");
        assertThat(all.code()).isZero();
        assertThat(Files.readString(auth)).doesNotContain("other.example").contains("HttpHeaders");
    }

    @Test
    void tokenRegistryLoginIsCheckedThroughItsTokenServer() {
        Path auth = tmp.resolve("auth.json");
        CliRun bad = withStdin("nope\n", "login", "--authfile", auth.toString(), "-u", "bob", "--password-stdin",
                token.host());
        assertThat(bad.code()).as(bad.err()).isEqualTo(4);
        assertThat(auth).doesNotExist();
        CliRun good = withStdin("t0ken-pass\n", "login", "--authfile", auth.toString(), "-u", "bob",
                "--password-stdin", token.host());
        assertThat(good.code()).as(good.err()).isZero();
        assertThat(auth).exists();
    }

    @Test
    void credsWithPasswordStdinKeepThePasswordOutOfTheCommandLine() {
        CliRun r = withStdin("s3cret-pass\n", "list-tags", "--creds", "alice", "--password-stdin",
                "docker://" + basic.host() + "/team/app");
        assertThat(r.code()).as(r.err()).isZero();
        assertThat(r.out().trim()).isEqualTo("1");
        assertThat(CliRun.of("list-tags", "--password-stdin", "docker://" + basic.host() + "/team/app").code())
                .isEqualTo(2);
    }
}
