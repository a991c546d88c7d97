/** The connection access log, one line per connection on the SLF4J logger {@code access}. */
package io.ambientjava.ztunnel.telemetry.accesslog;
