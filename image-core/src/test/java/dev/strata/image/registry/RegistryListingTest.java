package dev.strata.image.registry;

import com.sun.net.httpserver.HttpServer;
import dev.strata.image.InvalidImageException;
import dev.strata.image.NotFoundException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Tag and catalog listings against a registry written here, for what Debian's docker-registry does not do
 * (it paginates the catalog, not tags) and what a hostile one does: pages that loop, a next page on another host,
 * answers that are not lists of strings.
 */
class RegistryListingTest {
    private HttpServer server;
    private final Map<String, String[]> pages = new ConcurrentHashMap<>(); // path?query -> {body, link}
    private final AtomicInteger requests = new AtomicInteger();

    private RegistryClient start() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/v2/", exchange -> {
            requests.incrementAndGet();
            String key = exchange.getRequestURI().getRawPath()
                    + (exchange.getRequestURI().getRawQuery() != null ? "?" + exchange.getRequestURI().getRawQuery()
                    : "");
            String[] page = pages.get(key);
            if (page == null) {
                byte[] body = "{\"errors\":[{\"code\":\"NAME_UNKNOWN\",\"message\":\"repository name not known\"}]}"
                        .getBytes(StandardCharsets.UTF_8);
                exchange.sendResponseHeaders(404, body.length);
                exchange.getResponseBody().write(body);
                exchange.close();
                return;
            }
            if (page[1] != null) {
                exchange.getResponseHeaders().add("Link", page[1]);
            }
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            byte[] body = page[0].getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        return RegistryClient.create("127.0.0.1:" + server.getAddress().getPort(), RegistryOptions.anonymous()
                .withRetryPolicy(RetryPolicy.none()));
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.stop(0);
        }
    }

    @Test
    void tagsFollowLinkPagesInOrder() throws IOException {
        pages.put("/v2/a/b/tags/list?n=2", new String[] {"{\"tags\":[\"1\",\"2\"]}",
                "</v2/a/b/tags/list?last=2&n=2>; rel=\"next\""});
        pages.put("/v2/a/b/tags/list?last=2&n=2", new String[] {"{\"tags\":[\"3\",\"4\"]}",
                "</v2/a/b/tags/list?last=4&n=2>; rel=next"});
        pages.put("/v2/a/b/tags/list?last=4&n=2", new String[] {"{\"name\":\"a/b\",\"tags\":[\"5\"]}", null});
        RegistryClient client = start();
        assertThat(client.listTags("a/b", 2)).containsExactly("1", "2", "3", "4", "5");
        assertThat(requests.get()).isEqualTo(3);
    }

    @Test
    void aRepositoryWithNoTagsListsNone() throws IOException {
        pages.put("/v2/a/b/tags/list?n=1000", new String[] {"{\"name\":\"a/b\",\"tags\":null}", null});
        assertThat(start().listTags("a/b")).isEmpty();
    }

    @Test
    void pagesThatLoopAreRefused() throws IOException {
        pages.put("/v2/a/b/tags/list?n=2", new String[] {"{\"tags\":[\"1\"]}",
                "</v2/a/b/tags/list?n=2>; rel=\"next\""});
        RegistryClient client = start();
        assertThatThrownBy(() -> client.listTags("a/b", 2)).isInstanceOf(InvalidImageException.class)
                .hasMessageContaining("loop");
    }

    @Test
    void aNextPageOnAnotherHostIsNotFollowed() throws IOException {
        pages.put("/v2/_catalog?n=1000", new String[] {"{\"repositories\":[\"x\"]}",
                "<http://127.0.0.2:1/v2/_catalog?last=x>; rel=\"next\""});
        RegistryClient client = start();
        assertThatThrownBy(client::catalog).isInstanceOf(InvalidImageException.class)
                .hasMessageContaining("another host");
    }

    @Test
    void answersThatAreNotListsOfStringsAreRefused() throws IOException {
        pages.put("/v2/a/b/tags/list?n=1000", new String[] {"{\"tags\":\"latest\"}", null});
        pages.put("/v2/a/c/tags/list?n=1000", new String[] {"{\"tags\":[1,2]}", null});
        pages.put("/v2/a/d/tags/list?n=1000", new String[] {"not json", null});
        RegistryClient client = start();
        assertThatThrownBy(() -> client.listTags("a/b")).isInstanceOf(InvalidImageException.class);
        assertThatThrownBy(() -> client.listTags("a/c")).isInstanceOf(InvalidImageException.class);
        assertThatThrownBy(() -> client.listTags("a/d")).isInstanceOf(InvalidImageException.class);
    }

    @Test
    void anUnknownRepositoryIsNotFound() throws IOException {
        RegistryClient client = start();
        assertThatThrownBy(() -> client.listTags("no/such")).isInstanceOf(NotFoundException.class);
    }
}
