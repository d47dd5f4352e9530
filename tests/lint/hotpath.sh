#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# hotpath.sh - objective: the data path never allocates, prints, logs
# (except through log_ratelimited), locks, sleeps or calls epoll_ctl
# directly (STYLE.md §6).  The functions listed below are those that run
# per burst; this fails naming the file, function and call if one of them
# uses a banned call.
set -euo pipefail
src=${1:-$(dirname "$0")/../../src}

declare -A hot=(
	[bridge/bridge.c]="bridge_input classify flood learn stage stage_one port_member tagged_copy vlan_in"
	[bridge/fdb.c]="fdb_learn fdb_lookup find insert remove_slot fdb_age slot_of"
	[core/pkt.c]="pkt_alloc_burst"
	[proto/vlan.c]="vlan_parse vlan_tag_write"
	[proto/gso.c]="has fold16 csum16 finish_at csum_finish check_request parse_l2 is_tcp want_proto parse_ip4 parse_ip6 parse_l4 count_segs ufo_check ufo_frag_id prepare gso_start fix_l3 fix_tcp fix_uso copy_ufo next_whole gso_next pseudo_sum csum_detect_partial"
	[proto/vnet.c]="vnet_hdr_parse vnet_hdr_write vnet_off_accepts le16 put_le16 vnet_l3_type vnet_gso_check"
	[port/mmsg.c]="mmsg_recv mmsg_send mmsg_discard"
	[port/port.c]="port_rx port_xmit port_tx_ready account_tx want_write port_on_event port_count_rx_drop xmit_plain xmit_soft soft_append soft_segment"
	[port/packet.c]="rx_block_desc rx_block_open rx_block_release rx_next rx_copy_tagged rx_frame rx_idle packet_rx_burst tx_slot tx_status tx_free tx_set_status tx_index tx_fill tx_give_back tx_drop tx_settle packet_tx_burst link_state"
	[port/tap.c]="tap_rx_burst read_one tx_queue tap_tx_burst tap_on_queue"
	[port/stream.c]="stream_rx_burst parse take_record fill stream_tx_burst"
	[port/dgram.c]="dgram_rx_burst attribute child_find dgram_tx_burst discard_one"
	[port/mcast.c]="mcast_rx_burst mcast_tx_burst is_echo"
	[proto/vxlan.c]="mix sport_of l4_ports hash_l2 hash_ip4 ip6_l4 hash_ip6 vxlan_parse vxlan_hdr_write vxlan_src_port"
	[port/vtep.c]="find insert remove_slot vtep_learn vtep_lookup vtep_age vtep_addr_equal"
	[proto/virtq.c]="ld16 st16 prefetch_buf prefetch_ahead mem_find vq_mem_gpa vq_avail_count add_segs desc_load walk vq_chain_get chain_copy vq_chain_read vq_chain_write vq_push vq_publish vq_need_call vq_notify_enable vq_notify_disable vq_tx_frame vq_rx_frame"
	[port/vhost_user.c]="eventfd_kick eventfd_drain ring_done off_negotiated self_arm self_disarm rx_idle ring_take vu_rx_burst rx_ring vu_tx_burst tx_defer_fn vu_tx_wait rx_kick_on_event"
	[port/vxlan.c]="vni_index learn vx_rx_burst tx_vni prepare tx_sock send_error flush fill_segments send_segments send_super wait_on vx_tx_burst vx_on_tx_fd ager_fire"
)
banned='(^|[^a-z_])(malloc|calloc|realloc|free|strdup|printf|fprintf|puts|syslog|log_err|log_warn|log_info|log_debug|log_msg|pthread_mutex_lock|epoll_ctl|sleep|usleep|nanosleep)[[:space:]]*\('

status=0
checked=0
for f in "${!hot[@]}"; do
	if [ ! -f "$src/$f" ]; then
		echo "hotpath: $f: missing" >&2
		status=1
		continue
	fi
	out=$(awk -v fns=" ${hot[$f]} " -v re="$banned" -v file="$f" '
		/^[a-z_0-9]+\(/ { fn = $0; sub(/\(.*/, "", fn); seen[fn] = 1 }
		/^}/ { if (fn != "") fn = "" }
		fn != "" && index(fns, " " fn " ") && $0 ~ re {
			printf "hotpath: %s: %s() line %d: %s\n", file, fn, NR, $0
		}
		END {
			n = split(fns, want, " ")
			for (i = 1; i <= n; i++)
				if (want[i] != "" && !(want[i] in seen))
					printf "hotpath: %s: no function %s() (update the list)\n", file, want[i]
		}' "$src/$f")
	if [ -n "$out" ]; then
		echo "$out" >&2
		status=1
	fi
	checked=$((checked + $(wc -w <<<"${hot[$f]}")))
done
echo "hotpath: $checked functions checked"
exit $status
