# SPDX-License-Identifier: MIT
# counters.sh - the conservation equations of docs/architecture.md, read
# from `lanyardctl -j show`:
#   rx         = rx_fwd + runt + oversize + no-buffer + bad-src + same-port
#                + no-port + vlan
#   tx_offered = tx + queued + backlog-full + peer-gone + tag-no-buffer
# conservation_broken JSON prints the ids of the ports (and "totals") where
# they do not hold; nothing when all is well.
conservation_broken() {
	jq -r '
		def ok: .rx == .rx_fwd + .drops.runt + .drops.oversize +
			.drops."no-buffer" + .drops."bad-src" +
			.drops."same-port" + .drops."no-port" + .drops.vlan
		    and .tx_offered == .tx + .queued + .drops."backlog-full" +
			.drops."peer-gone" + .drops."tag-no-buffer";
		([.ports[] | select(.counters | ok | not) | .id] +
		 (if (.totals | ok) then [] else ["totals"] end)) | join(" ")' <<<"$1"
}
