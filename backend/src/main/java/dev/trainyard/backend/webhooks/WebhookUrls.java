package dev.trainyard.backend.webhooks;

import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.Optional;

/**
 * Which URLs a webhook may call: http or https, with a host, and (unless private addresses are
 * allowed) a host that resolves to public addresses only. Checked when a subscription is made and
 * again before every attempt, since a name's addresses can change in between.
 */
public final class WebhookUrls {
  private WebhookUrls() {}

  /** Why the URL may not be called, or empty when it may. */
  public static Optional<String> problem(String url, boolean allowPrivate) {
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      return Optional.of("not a URL: " + e.getReason());
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("http") && !scheme.equals("https")) {
      return Optional.of("must be an http:// or https:// URL");
    }
    if (uri.getHost() == null || uri.getHost().isBlank()) {
      return Optional.of("must name a host");
    }
    if (uri.getUserInfo() != null) {
      return Optional.of("must not carry credentials (user:password@)");
    }
    if (allowPrivate) {
      return Optional.empty();
    }
    InetAddress[] addresses;
    try {
      addresses = InetAddress.getAllByName(uri.getHost());
    } catch (UnknownHostException e) {
      return Optional.of("host '" + uri.getHost() + "' does not resolve");
    }
    for (InetAddress address : addresses) {
      if (isInternal(address)) {
        return Optional.of(
            "host '"
                + uri.getHost()
                + "' is an internal address ("
                + address.getHostAddress()
                + "); this server does not call into private networks");
      }
    }
    return Optional.empty();
  }

  /**
   * Loopback, unspecified, private (10/8, 172.16/12, 192.168/16), link-local (169.254/16: cloud
   * metadata), carrier-grade NAT (100.64/10), IPv6 unique-local (fc00::/7) and multicast.
   */
  static boolean isInternal(InetAddress address) {
    if (address.isLoopbackAddress()
        || address.isAnyLocalAddress()
        || address.isSiteLocalAddress()
        || address.isLinkLocalAddress()
        || address.isMulticastAddress()) {
      return true;
    }
    byte[] b = address.getAddress();
    if (address instanceof Inet6Address) {
      return (b[0] & 0xfe) == 0xfc;
    }
    return (b[0] & 0xff) == 100 && (b[1] & 0xc0) == 64;
  }
}
