/* SPDX-License-Identifier: MIT */
/*
 * eth.c - text forms of MAC addresses.
 */
#include "proto/eth.h"

#include <stdio.h>

/**
 * eth_mac_format() - write @mac as "xx:xx:xx:xx:xx:xx"
 * @mac: six octets
 * @out: ETH_MAC_STRLEN bytes
 */
void
eth_mac_format(const uint8_t *mac, char out[ETH_MAC_STRLEN])
{
	snprintf(out, ETH_MAC_STRLEN, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0],
		 mac[1], mac[2], mac[3], mac[4], mac[5]);
}

static int
hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/**
 * eth_mac_parse() - read "xx:xx:xx:xx:xx:xx" (or '-' separated)
 * @s:   the text; nothing may follow the address
 * @mac: six octets, on success
 *
 * Return: 0, or -1 if @s is not a MAC address.
 */
int
eth_mac_parse(const char *s, uint8_t *mac)
{
	for (int i = 0; i < ETH_ALEN; i++) {
		int hi = hex_digit(s[0]);
		int lo = hi < 0 ? -1 : hex_digit(s[1]);

		if (lo < 0)
			return -1;
		mac[i] = (uint8_t)(hi << 4 | lo);
		s += 2;
		if (i < ETH_ALEN - 1) {
			if (*s != ':' && *s != '-')
				return -1;
			s++;
		}
	}
	return *s == '\0' ? 0 : -1;
}
