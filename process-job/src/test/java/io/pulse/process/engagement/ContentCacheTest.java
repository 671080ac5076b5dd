package io.pulse.process.engagement;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ContentCacheTest {
    private final AtomicLong now = new AtomicLong(1_000);
    private final ContentCache<String> cache = new ContentCache<>(2, 60_000, now::get);

    @Test
    void unknownKeyMustBeLoaded() {
        assertThat(cache.get("c1")).isNull();
    }

    @Test
    void aMissingRowIsCachedAsEmpty() {
        cache.put("c1", Optional.empty());
        assertThat(cache.get("c1")).isEmpty();
    }

    @Test
    void entriesExpireAfterTheirTtl() {
        cache.put("c1", Optional.of("Title"));
        now.addAndGet(59_999);
        assertThat(cache.get("c1")).contains("Title");
        now.addAndGet(1);
        assertThat(cache.get("c1")).isNull();
    }

    @Test
    void leastRecentlyUsedGoesFirstWhenFull() {
        cache.put("c1", Optional.of("one"));
        cache.put("c2", Optional.of("two"));
        cache.get("c1");
        cache.put("c3", Optional.of("three"));
        assertThat(cache.get("c2")).isNull();
        assertThat(cache.get("c1")).contains("one");
        assertThat(cache.size()).isEqualTo(2);
    }
}
