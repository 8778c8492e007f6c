/* Device rules for cgroup v2 as a BPF_PROG_TYPE_CGROUP_DEVICE program, written as raw
 * instructions and loaded with the bpf(2) syscall (runc and crun attach the same kind). */
#define _GNU_SOURCE
#include "berth_devices.h"
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define INSN(op, dst, src, off_, imm_) \
    ((struct bpf_insn){.code = (op), .dst_reg = (dst), .src_reg = (src), .off = (off_), .imm = (imm_)})

/* The context: access_type = (access << 16) | type, then major and minor. */
enum { R0, R1, R2, R3, R4, R5 };

/* The instructions of one rule: jumps to its end when the rule does not match, else returns
 * its verdict. Returns the number written (at most 8); `always` tells that it matches any
 * access (the verifier refuses the unreachable code that would follow it). */
static size_t rule_insns(const struct berth_device_rule *r, struct bpf_insn *out, int *always) {
    size_t n = 0;
    size_t jumps[4], nj = 0;
    if (r->type == 'b' || r->type == 'c') {
        jumps[nj++] = n;
        out[n++] = INSN(BPF_JMP | BPF_JNE | BPF_K, R2, 0, 0, r->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR);
    }
    uint32_t all = BERTH_DEVICE_MKNOD | BERTH_DEVICE_READ | BERTH_DEVICE_WRITE;
    if ((r->access & all) != all) {
        out[n++] = INSN(BPF_ALU | BPF_MOV | BPF_X, R1, R3, 0, 0);
        out[n++] = INSN(BPF_ALU | BPF_AND | BPF_K, R1, 0, 0, (int32_t)r->access);
        jumps[nj++] = n;
        /* An allow rule must cover all that is asked; a deny rule anything of it. */
        out[n++] = r->allow ? INSN(BPF_JMP | BPF_JNE | BPF_X, R1, R3, 0, 0) : INSN(BPF_JMP | BPF_JEQ | BPF_K, R1, 0, 0, 0);
    }
    if (r->type != 'a' && r->major >= 0) {
        jumps[nj++] = n;
        out[n++] = INSN(BPF_JMP | BPF_JNE | BPF_K, R4, 0, 0, (int32_t)r->major);
    }
    if (r->type != 'a' && r->minor >= 0) {
        jumps[nj++] = n;
        out[n++] = INSN(BPF_JMP | BPF_JNE | BPF_K, R5, 0, 0, (int32_t)r->minor);
    }
    out[n++] = INSN(BPF_ALU64 | BPF_MOV | BPF_K, R0, 0, 0, r->allow ? 1 : 0);
    out[n++] = INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
    for (size_t i = 0; i < nj; i++) out[jumps[i]].off = (int16_t)(n - jumps[i] - 1);
    *always = nj == 0;
    return n;
}

static long bpf(int cmd, union bpf_attr *attr) { return syscall(SYS_bpf, cmd, attr, sizeof *attr); }

int berth_attach_device_rules(const char *cgroup_dir, const struct berth_device_rule *rules, size_t count) {
    for (size_t i = 0; i < count; i++)
        if (rules[i].major > INT32_MAX || rules[i].minor > INT32_MAX) {
            errno = EINVAL;
            return -1;
        }
    struct bpf_insn *insns = calloc(8 + 8 * count, sizeof *insns);
    if (!insns) return -1;
    size_t n = 0;
    insns[n++] = INSN(BPF_LDX | BPF_MEM | BPF_W, R2, R1, 0, 0);
    insns[n++] = INSN(BPF_ALU | BPF_MOV | BPF_X, R3, R2, 0, 0);
    insns[n++] = INSN(BPF_ALU | BPF_RSH | BPF_K, R3, 0, 0, 16);
    insns[n++] = INSN(BPF_ALU | BPF_AND | BPF_K, R2, 0, 0, 0xffff);
    insns[n++] = INSN(BPF_LDX | BPF_MEM | BPF_W, R4, R1, 4, 0);
    insns[n++] = INSN(BPF_LDX | BPF_MEM | BPF_W, R5, R1, 8, 0);
    /* The last matching rule decides: they are checked from the end. */
    int always = 0;
    for (size_t i = count; i-- > 0 && !always;) n += rule_insns(&rules[i], insns + n, &always);
    if (!always) {
        insns[n++] = INSN(BPF_ALU64 | BPF_MOV | BPF_K, R0, 0, 0, 1);
        insns[n++] = INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
    }

    union bpf_attr load;
    memset(&load, 0, sizeof load);
    load.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
    load.insns = (uint64_t)(uintptr_t)insns;
    load.insn_cnt = (uint32_t)n;
    load.license = (uint64_t)(uintptr_t)"Apache";
    int prog = (int)bpf(BPF_PROG_LOAD, &load);
    int saved = errno;
    free(insns);
    if (prog < 0) {
        errno = saved;
        return -1;
    }
    int dir = open(cgroup_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir < 0) {
        saved = errno;
        close(prog);
        errno = saved;
        return -1;
    }
    union bpf_attr attach;
    memset(&attach, 0, sizeof attach);
    attach.target_fd = (uint32_t)dir;
    attach.attach_bpf_fd = (uint32_t)prog;
    attach.attach_type = BPF_CGROUP_DEVICE;
    long rc = bpf(BPF_PROG_ATTACH, &attach);
    saved = errno;
    close(dir);
    close(prog);
    errno = saved;
    return rc < 0 ? -1 : 0;
}
