import { expect, it } from 'vitest';
import { clientHostOf } from '../../../../broker/network/socket-server.js';

// Group descriptions show a member's host as Java's InetAddress.toString() does ("/127.0.0.1");
// kafka-consumer-groups --describe --members prints it as is.
it('client hosts read as Kafka writes them: "/" and the IP, IPv4-mapped IPv6 unmapped', () => {
  expect(clientHostOf('127.0.0.1')).toBe('/127.0.0.1');
  expect(clientHostOf('::ffff:10.1.2.3')).toBe('/10.1.2.3');
  expect(clientHostOf('::1')).toBe('/::1');
  expect(clientHostOf(undefined)).toBe('/');
});
