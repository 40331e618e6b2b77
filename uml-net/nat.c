/*
 * SPDX-License-Identifier: ISC
 * Copyright (c) 2026 The rootstrap authors
 */

#include <sys/socket.h>
#include <sys/time.h>

/* glibc's netinet/in.h before the kernel's linux/in.h, or they clash. */
#include <netinet/in.h>
#include <netinet/ip.h>
#include <arpa/inet.h>
#include <net/if.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "uml_net.h"

/*
 * NAT for the guests: table "ip uml_net", chain "postrouting" (nat hook,
 * srcnat priority), one rule per guest address:
 *
 *	ip saddr ADDR oifname != "TAP" masquerade comment "TAP ADDR"
 *
 * The comment is how del finds exactly the rule add made, and how stale
 * rules are found: a rule whose tap is gone belonged to a UML that was
 * killed before it could say del. Those are removed on every add and del.
 */

#define NAT_TABLE	"uml_net"
#define NAT_CHAIN	"postrouting"
#define NAT_BATCH_MSGS	100	/* deletes per batch, well inside its size */
#define NAT_BUF_SIZE	32768	/* a batch's limit; its buffer is twice it */
#define NAT_TIMEOUT	5	/* seconds; a lost answer must not hang UML */
#define NAT_TRIES	3	/* listings the kernel says changed under us */

struct nat_rule {
	uint64_t	 handle;
	char		 comment[64];
};

/* The table's rules, all of them: a rule not listed could not be removed. */
struct nat_list {
	struct nat_rule	*r;
	int		 n;
	int		 size;
};

static uint32_t	 nat_seq;

static struct mnl_socket *
nft_open(void)
{
	struct timeval		 tv = { NAT_TIMEOUT, 0 };
	struct mnl_socket	*nl;

	if ((nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC)) == NULL ||
	    mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) == -1 ||
	    setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVTIMEO, &tv,
	    sizeof tv) == -1)
		refuse("nftables netlink: %s", strerror(errno));
	if (nat_seq == 0)
		nat_seq = (uint32_t)time(NULL);
	return (nl);
}

static int
comment_cb(const struct nftnl_udata *attr, void *data)
{
	char	*out = data;
	size_t	 len = nftnl_udata_len(attr);

	if (nftnl_udata_type(attr) == NFTNL_UDATA_RULE_COMMENT && len > 0 &&
	    len <= 64) {
		memcpy(out, nftnl_udata_get(attr), len);
		out[len - 1] = '\0';
	}
	return (0);
}

static int
rule_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nat_list		*l = data;
	struct nat_rule		*grown;
	struct nftnl_rule	*r;
	const char		*chain;
	const void		*ud;
	uint32_t		 len;

	if ((r = nftnl_rule_alloc()) == NULL)
		refuse("out of memory");
	if (nftnl_rule_nlmsg_parse(nlh, r) == 0 &&
	    (chain = nftnl_rule_get_str(r, NFTNL_RULE_CHAIN)) != NULL &&
	    strcmp(chain, NAT_CHAIN) == 0) {
		if (l->n == l->size) {
			l->size = l->size == 0 ? 64 : l->size * 2;
			if ((grown = reallocarray(l->r, (size_t)l->size,
			    sizeof *grown)) == NULL)
				refuse("out of memory");
			l->r = grown;
		}
		memset(&l->r[l->n], 0, sizeof l->r[l->n]);
		l->r[l->n].handle = nftnl_rule_get_u64(r, NFTNL_RULE_HANDLE);
		if ((ud = nftnl_rule_get_data(r, NFTNL_RULE_USERDATA, &len)) !=
		    NULL)
			nftnl_udata_parse(ud, len, comment_cb,
			    l->r[l->n].comment);
		l->n++;
	}
	nftnl_rule_free(r);
	return (MNL_CB_OK);
}

/* One listing of the table; -1 with errno, ENOENT if there is none. */
static int
nat_list_once(struct nat_list *l)
{
	static char		 buf[NAT_BUF_SIZE];
	struct mnl_socket	*nl = nft_open();
	struct nftnl_rule	*r;
	struct nlmsghdr		*nlh;
	unsigned int		 portid = mnl_socket_get_portid(nl);
	uint32_t		 seq = nat_seq++;
	ssize_t			 n;
	int			 rc = MNL_CB_OK, saved;

	l->n = 0;
	if ((r = nftnl_rule_alloc()) == NULL)
		refuse("out of memory");
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETRULE, NFPROTO_IPV4,
	    NLM_F_DUMP, seq);
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, NAT_TABLE);
	nftnl_rule_nlmsg_build_payload(nlh, r);
	nftnl_rule_free(r);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		rc = -1;
	while (rc > MNL_CB_STOP) {
		/* A receive that fails (timeout) leaves the list unfinished. */
		if ((n = mnl_socket_recvfrom(nl, buf, sizeof buf)) <= 0) {
			rc = -1;
			if (n == 0)
				errno = EPIPE;
			break;
		}
		rc = mnl_cb_run(buf, (size_t)n, seq, portid, rule_cb, l);
	}
	saved = errno;
	mnl_socket_close(nl);
	errno = saved;
	return (rc < 0 ? -1 : 0);
}

/* Our table's rules, in full; an absent table is an empty list. */
static void
nat_list(struct nat_list *l)
{
	int	 i;

	for (i = 0; i < NAT_TRIES; i++) {
		if (nat_list_once(l) == 0)
			return;
		if (errno == ENOENT) {
			l->n = 0;
			return;
		}
		if (errno != EINTR)
			break;
	}
	refuse("listing nftables rules: %s", strerror(errno));
}

/*
 * Send a batch and wait for the acknowledgement of its last message, the
 * one that asks for it; an error of any message comes before that. The
 * kernel applies a batch whole or not at all.
 */
static int
nat_commit(struct mnl_nlmsg_batch *b, uint32_t last)
{
	static char		 buf[NAT_BUF_SIZE];
	struct mnl_socket	*nl = nft_open();
	struct nlmsghdr		*nlh;
	struct nlmsgerr		*err;
	ssize_t			 n;
	int			 left, rc = 1, saved;

	if (mnl_socket_sendto(nl, mnl_nlmsg_batch_head(b),
	    mnl_nlmsg_batch_size(b)) < 0)
		rc = -1;
	while (rc == 1 && (n = mnl_socket_recvfrom(nl, buf, sizeof buf)) > 0) {
		left = (int)n;
		for (nlh = (struct nlmsghdr *)buf; rc == 1 &&
		    mnl_nlmsg_ok(nlh, left); nlh = mnl_nlmsg_next(nlh, &left)) {
			if (nlh->nlmsg_type != NLMSG_ERROR)
				continue;
			err = mnl_nlmsg_get_payload(nlh);
			if (err->error != 0) {
				errno = -err->error;
				rc = -1;
			} else if (nlh->nlmsg_seq == last)
				rc = 0;
		}
	}
	if (rc == 1)
		rc = -1;
	saved = errno;
	mnl_socket_close(nl);
	errno = saved;
	return (rc);
}

static void
put_expr(struct nftnl_rule *r, struct nftnl_expr *e)
{
	if (e == NULL)
		refuse("out of memory");
	nftnl_rule_add_expr(r, e);
}

/* ip saddr ADDR oifname != DEV masquerade comment "DEV ADDR" */
static struct nftnl_rule *
masq_rule(const char *dev, uint32_t addr, const char *comment)
{
	char			 ifname[IFNAMSIZ] = { 0 };
	struct nftnl_udata_buf	*ud;
	struct nftnl_rule	*r;
	struct nftnl_expr	*e;

	if ((r = nftnl_rule_alloc()) == NULL ||
	    (ud = nftnl_udata_buf_alloc(128)) == NULL)
		refuse("out of memory");
	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, NFPROTO_IPV4);
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, NAT_TABLE);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, NAT_CHAIN);

	put_expr(r, e = nftnl_expr_alloc("payload"));
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE,
	    NFT_PAYLOAD_NETWORK_HEADER);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET,
	    offsetof(struct iphdr, saddr));
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, 4);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1);
	put_expr(r, e = nftnl_expr_alloc("cmp"));
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, NFT_CMP_EQ);
	nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, &addr, sizeof addr);

	put_expr(r, e = nftnl_expr_alloc("meta"));
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, NFT_META_OIFNAME);
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, NFT_REG_1);
	put_expr(r, e = nftnl_expr_alloc("cmp"));
	strncpy(ifname, dev, IFNAMSIZ - 1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, NFT_CMP_NEQ);
	nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, ifname, IFNAMSIZ);

	put_expr(r, nftnl_expr_alloc("masq"));

	nftnl_udata_put_strz(ud, NFTNL_UDATA_RULE_COMMENT, comment);
	nftnl_rule_set_data(r, NFTNL_RULE_USERDATA, nftnl_udata_buf_data(ud),
	    nftnl_udata_buf_len(ud));
	nftnl_udata_buf_free(ud);
	return (r);
}

/* The message just built joins the batch, which has room for it. */
static void
batch_next(struct mnl_nlmsg_batch *b)
{
	/* NAT_BATCH_MSGS small messages never near the limit: a bug. */
	if (!mnl_nlmsg_batch_next(b))
		refuse("an nftables batch over its limit");
}

static void
batch_rule(struct mnl_nlmsg_batch *b, int type, int flags,
    struct nftnl_rule *r)
{
	struct nlmsghdr	*nlh;

	nlh = nftnl_nlmsg_build_hdr(mnl_nlmsg_batch_current(b), (uint16_t)type,
	    NFPROTO_IPV4, (uint16_t)flags, nat_seq++);
	nftnl_rule_nlmsg_build_payload(nlh, r);
	batch_next(b);
}

/* The table and chain, created if missing (no NLM_F_EXCL). */
static void
batch_table(struct mnl_nlmsg_batch *b)
{
	struct nftnl_table	*t;
	struct nftnl_chain	*c;
	struct nlmsghdr		*nlh;

	if ((t = nftnl_table_alloc()) == NULL ||
	    (c = nftnl_chain_alloc()) == NULL)
		refuse("out of memory");
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, NAT_TABLE);
	nlh = nftnl_nlmsg_build_hdr(mnl_nlmsg_batch_current(b),
	    NFT_MSG_NEWTABLE, NFPROTO_IPV4, NLM_F_CREATE, nat_seq++);
	nftnl_table_nlmsg_build_payload(nlh, t);
	batch_next(b);
	nftnl_table_free(t);

	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, NAT_TABLE);
	nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, NAT_CHAIN);
	nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, "nat");
	nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, NF_INET_POST_ROUTING);
	nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, 100);	/* srcnat */
	nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY, NF_ACCEPT);
	nlh = nftnl_nlmsg_build_hdr(mnl_nlmsg_batch_current(b),
	    NFT_MSG_NEWCHAIN, NFPROTO_IPV4, NLM_F_CREATE, nat_seq++);
	nftnl_chain_nlmsg_build_payload(nlh, c);
	batch_next(b);
	nftnl_chain_free(c);
}

static void
batch_delete(struct mnl_nlmsg_batch *b, uint64_t handle, int ack)
{
	struct nftnl_rule	*r;

	if ((r = nftnl_rule_alloc()) == NULL)
		refuse("out of memory");
	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, NFPROTO_IPV4);
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, NAT_TABLE);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, NAT_CHAIN);
	nftnl_rule_set_u64(r, NFTNL_RULE_HANDLE, handle);
	batch_rule(b, NFT_MSG_DELRULE, ack ? NLM_F_ACK : 0, r);
	nftnl_rule_free(r);
}

/*
 * Whether a rule goes: the one named by comment (del, and add, which
 * replaces it), every rule of dev when there is no comment (a tap just
 * made cannot have rules yet: any are left from an earlier tap of that
 * name), and the rules of taps that are gone.
 */
static int
nat_doomed(const struct nat_rule *r, const char *dev, const char *comment)
{
	char	 tap[IFNAMSIZ];
	size_t	 len;

	memset(tap, 0, sizeof tap);
	len = strcspn(r->comment, " ");
	memcpy(tap, r->comment, len < IFNAMSIZ ? len : 0);
	if (comment != NULL && strcmp(r->comment, comment) == 0)
		return (1);
	if (comment == NULL && strcmp(tap, dev) == 0)
		return (1);
	return (*tap != '\0' && !tap_exists(tap));
}

/*
 * add: 1 add, 0 del, -1 only forget the rules of dev and of gone taps.
 * Returns -1 with errno, or how many rules named by dev and addr went.
 * The deletes go NAT_BATCH_MSGS to a batch; the last batch also holds
 * the new rule, so that the rule replaces its old self in one step.
 */
static int
nat_change(const char *dev, uint32_t addr, int add)
{
	static char		 buf[2 * NAT_BUF_SIZE];
	struct mnl_nlmsg_batch	*b;
	struct nftnl_rule	*r;
	struct nat_list		 l = { NULL, 0, 0 };
	char			 comment[64], a[16];
	uint32_t		 last;
	int			 i, j, k, chunk, final, named = 0, rc = 0;
	int			 saved;

	inet_ntop(AF_INET, &addr, a, sizeof a);
	snprintf(comment, sizeof comment, "%s %s", dev, a);
	nat_list(&l);
	for (i = k = 0; i < l.n; i++) {
		if (!nat_doomed(&l.r[i], dev, add == -1 ? NULL : comment))
			continue;
		named += strcmp(l.r[i].comment, comment) == 0;
		l.r[k++] = l.r[i];
	}
	for (i = 0; rc == 0 && (i < k || (i == 0 && add == 1)); i += chunk) {
		chunk = k - i < NAT_BATCH_MSGS ? k - i : NAT_BATCH_MSGS;
		final = i + chunk == k;
		b = mnl_nlmsg_batch_start(buf, NAT_BUF_SIZE);
		nftnl_batch_begin(mnl_nlmsg_batch_current(b), nat_seq++);
		batch_next(b);
		if (final && add == 1)
			batch_table(b);
		for (j = 0; j < chunk; j++)
			batch_delete(b, l.r[i + j].handle, j == chunk - 1 &&
			    !(final && add == 1));
		if (final && add == 1) {
			r = masq_rule(dev, addr, comment);
			batch_rule(b, NFT_MSG_NEWRULE, NLM_F_CREATE |
			    NLM_F_APPEND | NLM_F_ACK, r);
			nftnl_rule_free(r);
		}
		last = nat_seq - 1;
		nftnl_batch_end(mnl_nlmsg_batch_current(b), nat_seq++);
		batch_next(b);
		rc = nat_commit(b, last);
		mnl_nlmsg_batch_stop(b);
		if (chunk == 0)
			break;
	}
	saved = errno;
	free(l.r);
	errno = saved;
	return (rc == -1 ? -1 : named);
}

int
nat_add(const char *dev, uint32_t addr)
{
	return (nat_change(dev, addr, 1));
}

int
nat_del(const char *dev, uint32_t addr)
{
	return (nat_change(dev, addr, 0));
}

int
nat_forget(const char *dev)
{
	return (nat_change(dev, 0, -1));
}

/* Forwarding, for the whole network namespace: the policy's choice. */
int
ip_forward_on(void)
{
	int	 fd, rc = 0;

	if ((fd = open("/proc/sys/net/ipv4/ip_forward",
	    O_WRONLY | O_CLOEXEC)) == -1)
		return (-1);
	if (write(fd, "1\n", 2) != 2)
		rc = -1;
	if (close(fd) == -1)
		rc = -1;
	return (rc);
}
