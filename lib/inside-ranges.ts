/**
 * The addresses that are not the internet: this network, loopback, private, link-local (cloud metadata),
 * carrier-grade NAT, multicast and reserved, and their IPv6 kin. One list, for both places that keep
 * projects off them: a project token's repository and deploy addresses, and a sandbox allowed the network.
 */
export type InsideRange = {
  network: string;
  prefix: number;
  family: 'ipv4' | 'ipv6';
  /** Said in a refusal: "which is loopback". */
  what: string;
  /** False for multicast and reserved: no single host answers there, so the sandbox prohibits them outright. */
  unicast: boolean;
};

export const INSIDE_RANGES: readonly InsideRange[] = [
  { network: '0.0.0.0', prefix: 8, family: 'ipv4', what: 'unspecified', unicast: true },
  { network: '127.0.0.0', prefix: 8, family: 'ipv4', what: 'loopback', unicast: true },
  { network: '10.0.0.0', prefix: 8, family: 'ipv4', what: 'private', unicast: true },
  { network: '172.16.0.0', prefix: 12, family: 'ipv4', what: 'private', unicast: true },
  { network: '192.168.0.0', prefix: 16, family: 'ipv4', what: 'private', unicast: true },
  { network: '169.254.0.0', prefix: 16, family: 'ipv4', what: 'link-local', unicast: true },
  { network: '100.64.0.0', prefix: 10, family: 'ipv4', what: 'carrier-grade NAT', unicast: true },
  { network: '224.0.0.0', prefix: 4, family: 'ipv4', what: 'multicast', unicast: false },
  { network: '240.0.0.0', prefix: 4, family: 'ipv4', what: 'reserved', unicast: false },
  // ::/96 holds the unspecified address, loopback and the old IPv4-compatible form.
  { network: '::', prefix: 96, family: 'ipv6', what: 'unspecified or loopback', unicast: true },
  { network: 'fc00::', prefix: 7, family: 'ipv6', what: 'private', unicast: true },
  { network: 'fe80::', prefix: 10, family: 'ipv6', what: 'link-local', unicast: true },
  { network: 'fec0::', prefix: 10, family: 'ipv6', what: 'site-local', unicast: true },
  { network: 'ff00::', prefix: 8, family: 'ipv6', what: 'multicast', unicast: false },
];
