/* SPDX-License-Identifier: MIT */
#include "vmm/vmm.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>

#include "vmm/acpi.h"
#include "vmm/bootparams.h"
#include "vmm/console.h"
#include "vmm/mptable.h"
#include "vmm/msiroute.h"
#include "vmm/pci.h"
#include "vmm/pio_ring.h"
#include "vmm/smbios.h"
#include "vmm/testdev.h"
#include "vmm/uart.h"
#include "vmm/vmlinux.h"

/* Low-memory layout of the boot structures. */
#define GDT_GPA 0x500
#define ZERO_PAGE_GPA 0x7000
#define PAGETABLE_GPA 0x9000
#define CMDLINE_GPA 0x20000
#define CMDLINE_MAX 0x10000
#define KERNEL_DEFAULT_GPA 0x1000000

#define KVM_TSS_GPA 0xfffbd000
#define KVM_IDENTITY_MAP_GPA 0xfffbc000

#define I8042_CMD_PORT 0x64
#define I8042_CMD_RESET 0xfe
#define POST_PORT 0x80

#define CONSOLE_LINE_MAX 1024

/* The boot profile (cfg.stats_fd): allocated only when asked for. */
#define STATS_MMIO_PAGES 64
#define STATS_EXIT_KINDS 64
#define STATS_SECONDS 300
enum { STATS_THR, STATS_LSR, STATS_UART, STATS_PCICFG, STATS_PIO, STATS_MMIO, STATS_OTHER,
       STATS_CLASSES };

struct vmm_stats {
	double t_decompress;            /* host-side decompression, seconds */
	const char *entry_kind;
	double t_create, t_run, t_loaded, t_first_entry, t_first_exit, t_first_console;
	atomic_bool seen_entry, seen_exit;
	bool seen_console;
	atomic_uint_fast64_t kinds[STATS_EXIT_KINDS];
	atomic_uint_fast64_t pio[65536][2];     /* [port][is_write] */
	atomic_uint_fast64_t per_second[STATS_SECONDS][STATS_CLASSES];
	double start_boottime;          /* the process's start, CLOCK_BOOTTIME */
	uint64_t console_bytes;                 /* under io_lock */
	uint64_t thr_coalesced, coalesce_toggles;       /* under io_lock */
	uint64_t cf8_coalesced;                         /* under io_lock */
	struct {
		uint64_t page, reads, writes;
	} mmio[STATS_MMIO_PAGES];               /* under io_lock */
	unsigned int n_mmio;
	uint64_t mmio_other;
};

/* The kernel and initrd as read into guest memory (load_images). */
struct vmm_preload {
	pthread_t thread;
	bool started;                   /* the thread runs or awaits its join */
	int rc;
	struct nc_err err;
	char *img;                      /* the bzImage file (setup header for boot_params) */
	size_t img_size;
	struct bzimage_info bz;
	uint64_t load, kernel_end, entry;
	uint64_t initrd_gpa, initrd_size;
};

struct vcpu {
	struct vmm *vm;
	unsigned int id;
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	bool started;
	atomic_bool done;
};

struct vmm {
	struct vmm_config cfg;
	char *kernel, *initrd, *cmdline, *instance_type;
	char uuid_str[37];
	uint8_t uuid[16];

	int kvm_fd, vm_fd;
	size_t run_size;
	uint8_t *ram;
	uint64_t ram_size, low_ram, high_ram;
	struct guest_mem mem;
	struct kvm_cpuid2 *cpuid;
	bool tsc_deadline;

	struct vcpu vcpus[VMM_MAX_CPUS];
	unsigned int n_vcpus;

	struct pci_bus *pci;
	struct msi_router *msi;         /* NULL: MSIs by KVM_SIGNAL_MSI only */
	struct dev_host host;
	struct testdev testdev;

	/* io_lock serialises the devices: UART, PM registers, BAR callbacks. */
	pthread_mutex_t io_lock;
	struct uart uart;
	struct console_input *console_in;       /* set under io_lock */
	char line[CONSOLE_LINE_MAX];
	size_t line_len;
	uint8_t con_buf[4096];          /* console bytes not yet written; io_lock */
	size_t con_len;
	uint16_t pm1_sts, pm1_en, pm1_cnt;
	/* COM1's THR as KVM coalesced PIO while the UART is polled: console
	 * bytes then cost no exit. NULL: KVM cannot. */
	struct kvm_coalesced_mmio_ring *pio_ring;
	uint32_t pio_ring_cap;
	bool thr_coalesced;             /* the zone is registered; under io_lock */
	bool thr_zone_failed;           /* KVM refused it: not asked again */

	pthread_mutex_t state_lock;
	pthread_cond_t state_cond;
	enum vmm_exit_reason reason;
	char detail[256];
	atomic_bool stopping;
	atomic_bool started_reported;
	atomic_uint_fast64_t exits;
	bool ran;
	struct vmm_stats *stats;        /* NULL: not profiling */
	struct vmm_preload preload;
};

static void vmm_preload_start(struct vmm *vm);

const char *vmm_exit_reason_name(enum vmm_exit_reason r)
{
	switch (r) {
	case VMM_EXIT_NONE:
		return "none";
	case VMM_EXIT_POWEROFF:
		return "poweroff";
	case VMM_EXIT_RESET:
		return "reset";
	case VMM_EXIT_TIMEOUT:
		return "timeout";
	case VMM_EXIT_STOPPED:
		return "stopped";
	case VMM_EXIT_ERROR:
		return "error";
	}
	return "unknown";
}

void vmm_config_init(struct vmm_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->cpus = VMM_DEFAULT_CPUS;
	cfg->mem_bytes = VMM_DEFAULT_MEM;
	cfg->instance_type = VMM_DEFAULT_INSTANCE_TYPE;
	cfg->console_fd = -1;
	cfg->console_in_fd = -1;
	cfg->trace_fd = -1;
	cfg->stats_fd = -1;
}

static void vmm_emit(struct vmm *vm, enum vmm_event ev, const char *detail)
{
	if (vm->cfg.event)
		vm->cfg.event(vm->cfg.event_opaque, ev, detail);
}

/* The first stop wins; it wakes vmm_run. */
static void vmm_stop(struct vmm *vm, enum vmm_exit_reason reason, const char *detail)
{
	pthread_mutex_lock(&vm->state_lock);
	if (vm->reason == VMM_EXIT_NONE) {
		vm->reason = reason;
		snprintf(vm->detail, sizeof(vm->detail), "%s", detail ? detail : "");
	}
	atomic_store(&vm->stopping, true);
	pthread_cond_broadcast(&vm->state_cond);
	pthread_mutex_unlock(&vm->state_lock);
}

void vmm_request_stop(struct vmm *vm)
{
	vmm_stop(vm, VMM_EXIT_STOPPED, "stop requested");
}

/* ---- Boot profile ---------------------------------------------------------------- */

static double boottime_s(void)
{
	struct timespec now;

	clock_gettime(CLOCK_BOOTTIME, &now);
	return (double)now.tv_sec + now.tv_nsec / 1e9;
}

/* When this process started, in CLOCK_BOOTTIME seconds (the start time in
 * /proc/self/stat): the origin of the benchmarks' clocks too. */
static double process_start_s(void)
{
	_cleanup_fclose_ FILE *f = fopen("/proc/self/stat", "re");
	char buf[1024], *p;
	unsigned long long start = 0;
	size_t n;

	if (!f)
		return boottime_s();
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	/* Field 22, counted after the command name's closing parenthesis. */
	p = strrchr(buf, ')');
	for (int field = 2; p && field < 22; field++)
		p = strchr(p + 1, ' ');
	if (!p || sscanf(p + 1, "%llu", &start) != 1)
		return boottime_s();
	return (double)start / (double)sysconf(_SC_CLK_TCK);
}

static double process_age_s(const struct vmm *vm)
{
	return boottime_s() - vm->stats->start_boottime;
}

static void stats_exit_class(struct vmm *vm, const struct kvm_run *run)
{
	double age = process_age_s(vm);
	unsigned int sec = age < 0 ? 0 : age >= STATS_SECONDS ? STATS_SECONDS - 1 : (unsigned int)age;
	unsigned int cls = STATS_OTHER;

	if (run->exit_reason == KVM_EXIT_MMIO) {
		cls = STATS_MMIO;
	} else if (run->exit_reason == KVM_EXIT_IO) {
		uint16_t port = run->io.port;

		if (port == UART_COM1_BASE && run->io.direction == KVM_EXIT_IO_OUT)
			cls = STATS_THR;
		else if (port == UART_COM1_BASE + 5)
			cls = STATS_LSR;
		else if (port >= UART_COM1_BASE && port < UART_COM1_BASE + UART_NREGS)
			cls = STATS_UART;
		else if (port >= 0xcf8 && port < 0xd00)
			cls = STATS_PCICFG;
		else
			cls = STATS_PIO;
	}
	atomic_fetch_add_explicit(&vm->stats->per_second[sec][cls], 1, memory_order_relaxed);
}

static void stats_pio(struct vmm *vm, uint16_t port, bool is_write)
{
	atomic_fetch_add_explicit(&vm->stats->pio[port][is_write], 1, memory_order_relaxed);
}

/* Called with io_lock held. */
static void stats_mmio(struct vmm *vm, uint64_t addr, bool is_write)
{
	struct vmm_stats *st = vm->stats;
	uint64_t page = addr & ~0xfffull;
	unsigned int i;

	for (i = 0; i < st->n_mmio && st->mmio[i].page != page; i++)
		;
	if (i == st->n_mmio) {
		if (i == STATS_MMIO_PAGES) {
			st->mmio_other++;
			return;
		}
		st->mmio[st->n_mmio++].page = page;
	}
	if (is_write)
		st->mmio[i].writes++;
	else
		st->mmio[i].reads++;
}

static const char *exit_kind_name(unsigned int reason)
{
	switch (reason) {
	case KVM_EXIT_IO:
		return "io";
	case KVM_EXIT_MMIO:
		return "mmio";
	case KVM_EXIT_HLT:
		return "hlt";
	case KVM_EXIT_IRQ_WINDOW_OPEN:
		return "irq_window";
	case KVM_EXIT_INTR:
		return "intr";
	case KVM_EXIT_SHUTDOWN:
		return "shutdown";
	case KVM_EXIT_SYSTEM_EVENT:
		return "system_event";
	}
	return "other";
}

static void stats_report(struct vmm *vm)
{
	struct vmm_stats *st = vm->stats;
	int fd = vm->cfg.stats_fd;
	double now = process_age_s(vm);

	dprintf(fd, "vmm-stats: times from process start: vmm_create %.3f s, vmm_run %.3f s, "
		    "loaded %.3f s, first KVM_RUN %.3f s, first exit %.3f s, first console "
		    "byte %.3f s, report %.3f s\n",
		st->t_create, st->t_run, st->t_loaded, st->t_first_entry, st->t_first_exit,
		st->t_first_console, now);
	dprintf(fd, "vmm-stats: kernel entry: %s (host decompression %.3f s)\n",
		st->entry_kind ? st->entry_kind : "bzImage", st->t_decompress);
	dprintf(fd, "vmm-stats: exits %llu, console bytes %llu (%llu by coalesced PIO, "
		    "%llu zone changes), PCI config address writes coalesced %llu\n",
		(unsigned long long)atomic_load(&vm->exits),
		(unsigned long long)st->console_bytes, (unsigned long long)st->thr_coalesced,
		(unsigned long long)st->coalesce_toggles, (unsigned long long)st->cf8_coalesced);
	for (unsigned int k = 0; k < STATS_EXIT_KINDS; k++) {
		uint64_t n = atomic_load(&st->kinds[k]);

		if (n)
			dprintf(fd, "vmm-stats: kind %u (%s): %llu\n", k, exit_kind_name(k),
				(unsigned long long)n);
	}
	for (unsigned int port = 0; port < 65536; port++) {
		uint64_t r = atomic_load(&st->pio[port][0]), w = atomic_load(&st->pio[port][1]);

		if (r || w)
			dprintf(fd, "vmm-stats: pio %#06x: %llu reads, %llu writes\n", port,
				(unsigned long long)r, (unsigned long long)w);
	}
	for (unsigned int i = 0; i < st->n_mmio; i++)
		dprintf(fd, "vmm-stats: mmio page %#llx: %llu reads, %llu writes\n",
			(unsigned long long)st->mmio[i].page,
			(unsigned long long)st->mmio[i].reads,
			(unsigned long long)st->mmio[i].writes);
	if (st->mmio_other)
		dprintf(fd, "vmm-stats: mmio elsewhere: %llu\n",
			(unsigned long long)st->mmio_other);
	dprintf(fd, "vmm-stats: exits per second of process age: thr lsr uart pcicfg pio mmio "
		    "other\n");
	for (unsigned int sec = 0; sec < STATS_SECONDS; sec++) {
		uint64_t c[STATS_CLASSES], sum = 0;

		for (unsigned int k = 0; k < STATS_CLASSES; k++)
			sum += c[k] = atomic_load(&st->per_second[sec][k]);
		if (sum)
			dprintf(fd, "vmm-stats: s%u: %llu %llu %llu %llu %llu %llu %llu\n", sec,
				(unsigned long long)c[0], (unsigned long long)c[1],
				(unsigned long long)c[2], (unsigned long long)c[3],
				(unsigned long long)c[4], (unsigned long long)c[5],
				(unsigned long long)c[6]);
	}
}

/* ---- Devices on the host side -------------------------------------------------- */

static void host_irq_line(void *opaque, unsigned int gsi, int level)
{
	struct vmm *vm = opaque;
	struct kvm_irq_level irq = { .irq = gsi, .level = (uint32_t)level };

	ioctl(vm->vm_fd, KVM_IRQ_LINE, &irq);
}

static void host_msi_send(void *opaque, uint64_t addr, uint32_t data)
{
	struct vmm *vm = opaque;
	struct kvm_msi msi = {
		.address_lo = (uint32_t)addr,
		.address_hi = (uint32_t)(addr >> 32),
		.data = data,
	};

	ioctl(vm->vm_fd, KVM_SIGNAL_MSI, &msi);
}

/* The router's KVM calls (vmm/msiroute.h). */
static int kvm_set_gsi_routing(void *opaque, const struct kvm_irq_routing *table)
{
	struct vmm *vm = opaque;

	return ioctl(vm->vm_fd, KVM_SET_GSI_ROUTING, table) < 0 ? -errno : 0;
}

static int kvm_irqfd(void *opaque, int fd, uint32_t gsi, bool deassign)
{
	struct vmm *vm = opaque;
	struct kvm_irqfd irqfd = {
		.fd = (uint32_t)fd,
		.gsi = gsi,
		.flags = deassign ? KVM_IRQFD_FLAG_DEASSIGN : 0,
	};

	return ioctl(vm->vm_fd, KVM_IRQFD, &irqfd) < 0 ? -errno : 0;
}

static int kvm_signal_msi(void *opaque, uint64_t addr, uint32_t data)
{
	host_msi_send(opaque, addr, data);
	return 0;
}

/* MSI-X by irqfd where KVM has GSI routing and irqfds; KVM_SIGNAL_MSI
 * stays the fallback for whatever cannot be routed. */
static void vmm_setup_msi_routing(struct vmm *vm)
{
	static const struct msi_router_ops ops = {
		.set_gsi_routing = kvm_set_gsi_routing,
		.irqfd = kvm_irqfd,
		.signal_msi = kvm_signal_msi,
	};
	static const struct pci_msi_ops pci_ops = {
		.route = msi_router_route,
		.send = msi_router_send,
	};

	if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_IRQ_ROUTING) <= 0 ||
	    ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_IRQFD) <= 0)
		return;
	if (msi_router_new(&ops, vm, &vm->msi) < 0)
		return;
	pci_bus_set_msi_ops(vm->pci, &pci_ops, vm->msi);
}

static void host_msix_notify(void *opaque, void *pci_dev, unsigned int vector)
{
	pci_msix_notify(pci_dev, vector);
}

static void host_event(void *opaque, enum vmm_event ev, const char *detail)
{
	vmm_emit(opaque, ev, detail);
}

static void uart_irq(void *opaque, int level)
{
	host_irq_line(opaque, UART_COM1_IRQ, level);
}

/* Writes out the console bytes held back. Called with io_lock held. */
static void console_out_flush(struct vmm *vm)
{
	size_t done = 0;

	while (done < vm->con_len) {
		ssize_t w = write(vm->cfg.console_fd, vm->con_buf + done, vm->con_len - done);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;          /* a closed console loses its output, not the VM */
		done += (size_t)w;
	}
	vm->con_len = 0;
}

/* The console fd gets whole lines rather than a write per byte: the bytes
 * wait for their newline, a full buffer or the 100 ms tick of vmm_run
 * (when there is one: with coalesced PIO). Called with io_lock held. */
static void console_out(struct vmm *vm, const uint8_t *buf, size_t len)
{
	while (len) {
		size_t n = sizeof(vm->con_buf) - vm->con_len;

		if (n > len)
			n = len;
		memcpy(vm->con_buf + vm->con_len, buf, n);
		vm->con_len += n;
		buf += n;
		len -= n;
		if (vm->con_len == sizeof(vm->con_buf) || !vm->pio_ring ||
		    memchr(vm->con_buf + vm->con_len - n, '\n', n))
			console_out_flush(vm);
	}
}

/* UART output: copied raw to the console fd, split into lines for the
 * event sink. Called with io_lock held. */
static void uart_output(void *opaque, const uint8_t *buf, size_t len)
{
	struct vmm *vm = opaque;

	if (vm->stats) {
		if (!vm->stats->seen_console) {
			vm->stats->seen_console = true;
			vm->stats->t_first_console = process_age_s(vm);
		}
		vm->stats->console_bytes += len;
	}
	if (vm->cfg.console_fd >= 0)
		console_out(vm, buf, len);
	for (size_t i = 0; i < len; i++) {
		char c = (char)buf[i];

		if (c == '\r')
			continue;
		if (c == '\n' || vm->line_len == CONSOLE_LINE_MAX - 1) {
			vm->line[vm->line_len] = '\0';
			vmm_emit(vm, VMM_EV_CONSOLE_LINE, vm->line);
			vm->line_len = 0;
			if (c == '\n')
				continue;
		}
		vm->line[vm->line_len++] = c;
	}
}

/* The guest read from a full FIFO or began listening: input may flow.
 * Called with io_lock held. */
static void uart_rx_space(void *opaque)
{
	struct vmm *vm = opaque;

	console_input_rx_space(vm->console_in);
}

static void console_quit(void *opaque)
{
	vmm_stop(opaque, VMM_EXIT_STOPPED, "Ctrl-A x on the console");
}

static void flush_console_line(struct vmm *vm)
{
	pthread_mutex_lock(&vm->io_lock);
	console_out_flush(vm);
	if (vm->line_len) {
		vm->line[vm->line_len] = '\0';
		vmm_emit(vm, VMM_EV_CONSOLE_LINE, vm->line);
		vm->line_len = 0;
	}
	pthread_mutex_unlock(&vm->io_lock);
}

/* ACPI PM1a: the guest's poweroff writes SLP_TYP=S5 with SLP_EN. */
static void pm_io(struct vmm *vm, uint16_t port, uint8_t *data, unsigned int len, bool is_write)
{
	unsigned int off = port - ACPI_PM1A_EVT_PORT;
	uint8_t regs[6];
	uint32_t v = 0;

	regs[0] = (uint8_t)vm->pm1_sts;
	regs[1] = (uint8_t)(vm->pm1_sts >> 8);
	regs[2] = (uint8_t)vm->pm1_en;
	regs[3] = (uint8_t)(vm->pm1_en >> 8);
	regs[4] = (uint8_t)(vm->pm1_cnt | ACPI_PM1_CNT_SCI_EN);
	regs[5] = (uint8_t)(vm->pm1_cnt >> 8);
	if (!is_write) {
		for (unsigned int i = 0; i < len; i++)
			data[i] = off + i < sizeof(regs) ? regs[off + i] : 0xff;
		return;
	}
	for (unsigned int i = 0; i < len; i++)
		v |= (uint32_t)data[i] << (8 * i);
	for (unsigned int i = 0; i < len && off + i < sizeof(regs); i++) {
		uint8_t b = (uint8_t)(v >> (8 * i));

		switch (off + i) {
		case 0:
		case 1:         /* status: write 1 to clear */
			vm->pm1_sts &= (uint16_t)~(b << (8 * (off + i)));
			break;
		case 2:
		case 3:
			vm->pm1_en = (uint16_t)((vm->pm1_en & ~(0xff << (8 * (off + i - 2)))) |
						b << (8 * (off + i - 2)));
			break;
		case 4:
		case 5:
			vm->pm1_cnt = (uint16_t)((vm->pm1_cnt & ~(0xff << (8 * (off + i - 4)))) |
						 b << (8 * (off + i - 4)));
			break;
		}
	}
	if (off + len > 4 && (vm->pm1_cnt & ACPI_PM1_CNT_SLP_EN)) {
		unsigned int typ = ACPI_PM1_CNT_SLP_TYP(vm->pm1_cnt);

		vm->pm1_cnt &= (uint16_t)~ACPI_PM1_CNT_SLP_EN;
		if (typ == ACPI_SLP_TYP_S5) {
			vmm_emit(vm, VMM_EV_GUEST_POWEROFF, "acpi s5");
			vmm_stop(vm, VMM_EXIT_POWEROFF, "ACPI S5 (PM1a SLP_EN)");
		}
	}
}

static void trace_access(struct vmm *vm, const char *kind, uint64_t addr, const uint8_t *data,
			 unsigned int len, bool is_write)
{
	uint64_t v = 0;

	memcpy(&v, data, len < 8 ? len : 8);
	dprintf(vm->cfg.trace_fd, "vmm: %s %s %#llx/%u %#llx\n", kind, is_write ? "write" : "read",
		(unsigned long long)addr, len, (unsigned long long)v);
}

/* ---- COM1 THR by coalesced PIO ------------------------------------------------ */

static void thr_replay(void *opaque, const struct kvm_coalesced_mmio *e)
{
	struct vmm *vm = opaque;
	uint8_t data[8];

	if (!e->pio || e->len == 0 || e->len > sizeof(data))
		return;
	if (e->phys_addr == UART_COM1_BASE && e->len == 1) {
		uart_write(&vm->uart, 0, e->data[0]);
		if (vm->stats)
			vm->stats->thr_coalesced++;
	} else if (e->phys_addr >= PCI_CONFIG_ADDRESS &&
		   e->phys_addr + e->len <= PCI_CONFIG_ADDRESS + 4) {
		memcpy(data, e->data, e->len);
		pci_bus_pio(vm->pci, (uint16_t)e->phys_addr, data, e->len, true);
		if (vm->stats)
			vm->stats->cf8_coalesced++;
	}
}

/* Replays the THR writes KVM batched. Called with io_lock held. */
static void thr_drain_locked(struct vmm *vm)
{
	if (vm->pio_ring)
		pio_ring_drain(vm->pio_ring, vm->pio_ring_cap, thr_replay, vm);
}

/* Before an exit is handled: what the guest wrote before it goes first. */
static void thr_drain(struct vmm *vm)
{
	if (!vm->pio_ring || !pio_ring_pending(vm->pio_ring))
		return;
	pthread_mutex_lock(&vm->io_lock);
	thr_drain_locked(vm);
	pthread_mutex_unlock(&vm->io_lock);
}

/* Coalesces THR writes exactly while they need no interrupt: the
 * interrupt-driven tty wants a THRE interrupt per write, the divisor latch
 * and loopback are not output. Called with io_lock held, after the ring
 * was drained. */
static void thr_update_zone(struct vmm *vm)
{
	struct kvm_coalesced_mmio_zone zone = { .addr = UART_COM1_BASE, .size = 1, .pio = 1 };
	bool want = uart_thr_polled(&vm->uart);

	if (!vm->pio_ring || vm->thr_zone_failed || want == vm->thr_coalesced)
		return;
	if (ioctl(vm->vm_fd, want ? KVM_REGISTER_COALESCED_MMIO : KVM_UNREGISTER_COALESCED_MMIO,
		  &zone) < 0) {
		/* Unregistering cannot fail for a registered zone; if
		 * registering does, THR writes simply keep exiting (and we
		 * stop asking). */
		vm->thr_zone_failed = true;
		return;
	}
	vm->thr_coalesced = want;
	if (vm->stats)
		vm->stats->coalesce_toggles++;
}

static void vmm_setup_pio_ring(struct vmm *vm)
{
	long page = sysconf(_SC_PAGESIZE);
	int off = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_COALESCED_MMIO);

	if (getenv("NITROCHECK_VMM_NO_COALESCE"))
		return;
	if (off <= 0 || ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_COALESCED_PIO) <= 0 ||
	    page <= 0 || (size_t)(off + 1) * (size_t)page > vm->run_size || !vm->vcpus[0].run)
		return;
	vm->pio_ring = (struct kvm_coalesced_mmio_ring *)(void *)((uint8_t *)vm->vcpus[0].run +
								   (size_t)off * (size_t)page);
	vm->pio_ring_cap = pio_ring_capacity((size_t)page);
	/* The PCI configuration address (CF8) is only a latch: the data
	 * access at CFC that uses it exits and drains the ring first. Halves
	 * the exits of config space scans (the kernel's early AGP/GART probe
	 * reads all 256 buses by CF8/CFC). */
	{
		struct kvm_coalesced_mmio_zone cf8 = {
			.addr = PCI_CONFIG_ADDRESS, .size = 4, .pio = 1,
		};

		ioctl(vm->vm_fd, KVM_REGISTER_COALESCED_MMIO, &cf8);
	}
	pthread_mutex_lock(&vm->io_lock);
	thr_update_zone(vm);
	pthread_mutex_unlock(&vm->io_lock);
}

static void handle_pio(struct vmm *vm, uint16_t port, uint8_t *data, unsigned int len,
		       bool is_write)
{
	if (vm->stats)
		stats_pio(vm, port, is_write);
	if (port >= UART_COM1_BASE && port < UART_COM1_BASE + UART_NREGS) {
		pthread_mutex_lock(&vm->io_lock);
		if (is_write) {
			uart_write(&vm->uart, port - UART_COM1_BASE, data[0]);
			thr_update_zone(vm);
		} else
			data[0] = uart_read(&vm->uart, port - UART_COM1_BASE);
		pthread_mutex_unlock(&vm->io_lock);
		return;
	}
	if (port >= ACPI_PM1A_EVT_PORT && port < ACPI_PM1A_CNT_PORT + 2) {
		pthread_mutex_lock(&vm->io_lock);
		pm_io(vm, port, data, len, is_write);
		pthread_mutex_unlock(&vm->io_lock);
		return;
	}
	if (port == I8042_CMD_PORT && is_write && data[0] == I8042_CMD_RESET) {
		vmm_emit(vm, VMM_EV_GUEST_RESET, "i8042 reset");
		vmm_stop(vm, VMM_EXIT_RESET, "i8042 reset (port 0x64 <- 0xfe)");
		return;
	}
	if (port == POST_PORT)
		return;
	pthread_mutex_lock(&vm->io_lock);
	if (!pci_bus_pio(vm->pci, port, data, len, is_write) && !is_write)
		memset(data, 0xff, len);        /* nothing there: floating bus */
	pthread_mutex_unlock(&vm->io_lock);
}

/* Port access with tracing (after the access, so reads show their value). */
static void handle_pio_traced(struct vmm *vm, uint16_t port, uint8_t *data, unsigned int len,
			      bool is_write)
{
	handle_pio(vm, port, data, len, is_write);
	if (vm->cfg.trace_fd >= 0 && !(port >= UART_COM1_BASE && port < UART_COM1_BASE + 8))
		trace_access(vm, "pio", port, data, len, is_write);
}

static void handle_mmio(struct vmm *vm, uint64_t addr, uint8_t *data, unsigned int len,
			bool is_write)
{
	pthread_mutex_lock(&vm->io_lock);
	if (vm->stats)
		stats_mmio(vm, addr, is_write);
	if (!pci_bus_mmio(vm->pci, addr, data, len, is_write) && !is_write)
		memset(data, 0xff, len);
	pthread_mutex_unlock(&vm->io_lock);
	if (vm->cfg.trace_fd >= 0)
		trace_access(vm, "mmio", addr, data, len, is_write);
}

/* ---- vCPUs ------------------------------------------------------------------------- */

static void vcpu_kick_handler(int sig)
{
	(void)sig;
}

static int vcpu_exit(struct vcpu *c)
{
	struct vmm *vm = c->vm;
	struct kvm_run *run = c->run;
	char msg[128];

	atomic_fetch_add(&vm->exits, 1);
	if (!atomic_exchange(&vm->started_reported, true))
		vmm_emit(vm, VMM_EV_GUEST_STARTED, NULL);
	if (vm->stats) {
		if (!atomic_exchange(&vm->stats->seen_exit, true))
			vm->stats->t_first_exit = process_age_s(vm);
		atomic_fetch_add_explicit(&vm->stats->kinds[run->exit_reason % STATS_EXIT_KINDS],
					  1, memory_order_relaxed);
		stats_exit_class(vm, run);
	}
	thr_drain(vm);

	switch (run->exit_reason) {
	case KVM_EXIT_IO: {
		uint8_t *p = (uint8_t *)run + run->io.data_offset;

		for (uint32_t i = 0; i < run->io.count; i++, p += run->io.size)
			handle_pio_traced(vm, run->io.port, p, run->io.size,
				   run->io.direction == KVM_EXIT_IO_OUT);
		return 0;
	}
	case KVM_EXIT_MMIO:
		handle_mmio(vm, run->mmio.phys_addr, run->mmio.data, run->mmio.len,
			    run->mmio.is_write);
		return 0;
	case KVM_EXIT_HLT:
	case KVM_EXIT_IRQ_WINDOW_OPEN:
	case KVM_EXIT_INTR:
		return 0;
	case KVM_EXIT_SHUTDOWN:
		vmm_emit(vm, VMM_EV_GUEST_RESET, "triple fault");
		vmm_stop(vm, VMM_EXIT_RESET, "triple fault (KVM_EXIT_SHUTDOWN)");
		return 1;
	case KVM_EXIT_SYSTEM_EVENT:
		if (run->system_event.type == KVM_SYSTEM_EVENT_SHUTDOWN) {
			vmm_emit(vm, VMM_EV_GUEST_POWEROFF, "system event");
			vmm_stop(vm, VMM_EXIT_POWEROFF, "system event: shutdown");
		} else {
			vmm_emit(vm, VMM_EV_GUEST_RESET, "system event");
			vmm_stop(vm, VMM_EXIT_RESET, "system event: reset");
		}
		return 1;
	case KVM_EXIT_FAIL_ENTRY:
		snprintf(msg, sizeof(msg), "vCPU %u: entry failed, reason 0x%llx", c->id,
			 (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
		break;
	case KVM_EXIT_INTERNAL_ERROR:
		snprintf(msg, sizeof(msg), "vCPU %u: KVM internal error, suberror %u", c->id,
			 run->internal.suberror);
		break;
	default:
		snprintf(msg, sizeof(msg), "vCPU %u: unhandled exit %u", c->id, run->exit_reason);
		break;
	}
	vmm_emit(vm, VMM_EV_GUEST_ERROR, msg);
	vmm_stop(vm, VMM_EXIT_ERROR, msg);
	return 1;
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *c = arg;
	struct vmm *vm = c->vm;
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	if (vm->stats && !atomic_exchange(&vm->stats->seen_entry, true))
		vm->stats->t_first_entry = process_age_s(vm);
	while (!atomic_load(&vm->stopping)) {
		if (ioctl(c->fd, KVM_RUN, 0) < 0) {
			char msg[96];

			if (errno == EINTR || errno == EAGAIN)
				continue;
			snprintf(msg, sizeof(msg), "vCPU %u: KVM_RUN: %s", c->id, strerror(errno));
			vmm_emit(vm, VMM_EV_GUEST_ERROR, msg);
			vmm_stop(vm, VMM_EXIT_ERROR, msg);
			break;
		}
		if (vcpu_exit(c))
			break;
	}
	atomic_store(&c->done, true);
	return NULL;
}

/* CPUID as KVM supports it, made per vCPU: APIC ids, the hypervisor bit,
 * the KVM signature leaves and nothing of Xen's (0x40000100+). */
static int vcpu_set_cpuid(struct vmm *vm, struct vcpu *c)
{
	_cleanup_free_ struct kvm_cpuid2 *cp = NULL;
	size_t sz = sizeof(*cp) + vm->cpuid->nent * sizeof(struct kvm_cpuid_entry2);
	unsigned int n = 0;

	cp = calloc(1, sz);
	if (!cp)
		return -ENOMEM;
	for (unsigned int i = 0; i < vm->cpuid->nent; i++) {
		struct kvm_cpuid_entry2 e = vm->cpuid->entries[i];

		if (e.function >= 0x40000100 && e.function < 0x50000000)
			continue;
		switch (e.function) {
		case 1:
			e.ebx = (e.ebx & 0x0000ffff) | (c->id << 24) |
				(uint32_t)(vm->n_vcpus > 255 ? 255 : vm->n_vcpus) << 16;
			e.ecx |= 1u << 31;      /* running under a hypervisor */
			/* KVM emulates the TSC-deadline LAPIC timer but leaves
			 * announcing it to us; Nitro CPUs have it. */
			if (vm->tsc_deadline)
				e.ecx |= 1u << 24;
			break;
		case 0xb:
		case 0x1f:
			e.edx = c->id;
			break;
		case 0x40000000:
			if (e.eax < 0x40000001)
				e.eax = 0x40000001;
			break;
		}
		cp->entries[n++] = e;
	}
	cp->nent = n;
	if (ioctl(c->fd, KVM_SET_CPUID2, cp) < 0)
		return -errno;
	return 0;
}

static int vcpu_setup_boot(struct vmm *vm, struct vcpu *c, uint64_t entry, uint64_t cr3)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs = { 0 };
	struct kvm_fpu fpu = { 0 };
	struct kvm_lapic_state lapic;
	struct kvm_segment code = {
		.base = 0, .limit = 0xffffffff, .selector = BP_CODE_SEL, .type = 0xb,
		.present = 1, .dpl = 0, .db = 0, .s = 1, .l = 1, .g = 1,
	};
	struct kvm_segment data = code;

	data.selector = BP_DATA_SEL;
	data.type = 0x3;
	data.l = 0;
	data.db = 1;

	if (ioctl(c->fd, KVM_GET_SREGS, &sregs) < 0)
		return -errno;
	sregs.cs = code;
	sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = data;
	sregs.gdt.base = GDT_GPA;
	sregs.gdt.limit = BP_GDT_ENTRIES * 8 - 1;
	sregs.idt.base = 0;
	sregs.idt.limit = 0;
	sregs.cr0 = 0x80000011;         /* PG | ET | PE */
	sregs.cr3 = cr3;
	sregs.cr4 = 0x20;               /* PAE */
	sregs.efer = 0x500;             /* LME | LMA */
	if (ioctl(c->fd, KVM_SET_SREGS, &sregs) < 0)
		return -errno;

	regs.rflags = 0x2;
	regs.rip = entry;
	regs.rsi = ZERO_PAGE_GPA;
	if (ioctl(c->fd, KVM_SET_REGS, &regs) < 0)
		return -errno;

	fpu.fcw = 0x37f;
	fpu.mxcsr = 0x1f80;
	if (ioctl(c->fd, KVM_SET_FPU, &fpu) < 0)
		return -errno;

	/* LINT0 as ExtINT (the 8259), LINT1 as NMI, as firmware leaves them. */
	if (ioctl(c->fd, KVM_GET_LAPIC, &lapic) < 0)
		return -errno;
	{
		uint32_t *lint0 = (uint32_t *)(void *)(lapic.regs + 0x350);
		uint32_t *lint1 = (uint32_t *)(void *)(lapic.regs + 0x360);

		*lint0 = (*lint0 & ~0x700u) | (7u << 8);
		*lint1 = (*lint1 & ~0x700u) | (4u << 8);
	}
	if (ioctl(c->fd, KVM_SET_LAPIC, &lapic) < 0)
		return -errno;
	return 0;
}

/* ---- Machine --------------------------------------------------------------------- */

static int kvm_get_cpuid(struct vmm *vm)
{
	for (unsigned int nent = 64; nent <= 1024; nent *= 2) {
		struct kvm_cpuid2 *cp = calloc(1, sizeof(*cp) + nent * sizeof(cp->entries[0]));

		if (!cp)
			return -ENOMEM;
		cp->nent = nent;
		if (ioctl(vm->kvm_fd, KVM_GET_SUPPORTED_CPUID, cp) == 0) {
			vm->cpuid = cp;
			return 0;
		}
		free(cp);
		if (errno != E2BIG)
			return -errno;
	}
	return -E2BIG;
}

static int vmm_open_kvm(struct vmm *vm, struct nc_err *err)
{
	int version;

	vm->kvm_fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (vm->kvm_fd < 0) {
		int e = errno;

		return nc_err_set(err, -e,
				  "/dev/kvm: %s (no KVM on this machine: run the boot inside the "
				  "KVM lab, tests/kvmlab/run nitrocheck boot ...)",
				  strerror(e));
	}
	version = ioctl(vm->kvm_fd, KVM_GET_API_VERSION, 0);
	if (version != KVM_API_VERSION)
		return nc_err_set(err, -ENODEV, "/dev/kvm: API version %d, expected %d", version,
				  KVM_API_VERSION);
	if (ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_IRQCHIP) <= 0 ||
	    ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_USER_MEMORY) <= 0 ||
	    ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_SIGNAL_MSI) <= 0)
		return nc_err_set(err, -ENODEV,
				  "/dev/kvm lacks the in-kernel irqchip, user memory or MSI "
				  "signalling");
	return 0;
}

static int vmm_setup_memory(struct vmm *vm, struct nc_err *err)
{
	struct kvm_userspace_memory_region r = { 0 };
	int rc;

	vm->ram_size = vm->cfg.mem_bytes;
	vm->low_ram = vm->ram_size < VMM_LOW_RAM_MAX ? vm->ram_size : VMM_LOW_RAM_MAX;
	vm->high_ram = vm->ram_size - vm->low_ram;
	/* Untouched pages cost nothing: RSS grows with what the guest uses.
	 * 2 MiB aligned, so that guest pages can be host huge pages. */
	{
		const size_t align = 2u << 20;
		uint8_t *p = mmap(NULL, vm->ram_size + align, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		size_t head;

		if (p == MAP_FAILED)
			return nc_err_set(err, -errno, "cannot map %llu bytes of guest memory",
					  (unsigned long long)vm->ram_size);
		head = (align - ((uintptr_t)p & (align - 1))) & (align - 1);
		if (head)
			munmap(p, head);
		if (align - head)
			munmap(p + head + vm->ram_size, align - head);
		vm->ram = p + head;
	}
	/* Huge pages where the host allows them (Debian: "madvise"): fewer
	 * nested page walks, as QEMU asks for its RAM too. */
	madvise(vm->ram, vm->ram_size, MADV_HUGEPAGE);

	r.slot = 0;
	r.guest_phys_addr = 0;
	r.memory_size = vm->low_ram;
	r.userspace_addr = (uintptr_t)vm->ram;
	if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0)
		return nc_err_set(err, -errno, "KVM_SET_USER_MEMORY_REGION: %s", strerror(errno));
	rc = guest_mem_add_region(&vm->mem, 0, vm->low_ram, vm->ram);
	if (rc < 0)
		return nc_err_set(err, rc, "guest memory: too many regions");
	if (vm->high_ram) {
		r.slot = 1;
		r.guest_phys_addr = VMM_HIGH_RAM_BASE;
		r.memory_size = vm->high_ram;
		r.userspace_addr = (uintptr_t)(vm->ram + vm->low_ram);
		if (ioctl(vm->vm_fd, KVM_SET_USER_MEMORY_REGION, &r) < 0)
			return nc_err_set(err, -errno, "KVM_SET_USER_MEMORY_REGION: %s",
					  strerror(errno));
		rc = guest_mem_add_region(&vm->mem, VMM_HIGH_RAM_BASE, vm->high_ram,
					  vm->ram + vm->low_ram);
		if (rc < 0)
			return nc_err_set(err, rc, "guest memory: too many regions");
	}
	return 0;
}

static int vmm_check_config(const struct vmm_config *cfg, struct nc_err *err)
{
	if (!cfg->kernel)
		return nc_err_set(err, -EINVAL, "no kernel given");
	if (access(cfg->kernel, R_OK) < 0)
		return nc_err_set(err, -errno, "%s: %s", cfg->kernel, strerror(errno));
	if (cfg->initrd && access(cfg->initrd, R_OK) < 0)
		return nc_err_set(err, -errno, "%s: %s", cfg->initrd, strerror(errno));
	if (cfg->cpus == 0 || cfg->cpus > VMM_MAX_CPUS)
		return nc_err_set(err, -EINVAL, "%u vCPUs: between 1 and %d", cfg->cpus,
				  VMM_MAX_CPUS);
	if (cfg->mem_bytes < (64ull << 20) || (cfg->mem_bytes & 0xfffff))
		return nc_err_set(err, -EINVAL,
				  "memory must be at least 64 MiB and a whole number of MiB");
	if (cfg->uuid) {
		uint8_t u[16];

		if (smbios_uuid_parse(cfg->uuid, u) < 0)
			return nc_err_set(err, -EINVAL, "%s: not a UUID", cfg->uuid);
	}
	return 0;
}

static char *strdup_or_null(const char *s, int *rc)
{
	char *d;

	if (!s)
		return NULL;
	d = strdup(s);
	if (!d)
		*rc = -ENOMEM;
	return d;
}

int vmm_create(const struct vmm_config *cfg, struct vmm **ret_vm, struct nc_err *err)
{
	struct vmm *vm;
	struct kvm_pit_config pit = { .flags = 0 };
	struct sigaction sa = { .sa_handler = vcpu_kick_handler };
	int rc;

	rc = vmm_check_config(cfg, err);
	if (rc < 0)
		return rc;
	vm = calloc(1, sizeof(*vm));
	if (!vm)
		return -ENOMEM;
	vm->kvm_fd = vm->vm_fd = -1;
	for (unsigned int i = 0; i < VMM_MAX_CPUS; i++)
		vm->vcpus[i].fd = -1;
	vm->cfg = *cfg;
	if (cfg->stats_fd >= 0) {
		vm->stats = calloc(1, sizeof(*vm->stats));
		if (vm->stats) {
			vm->stats->start_boottime = process_start_s();
			vm->stats->t_create = process_age_s(vm);
		}
	}
	pthread_mutex_init(&vm->io_lock, NULL);
	pthread_mutex_init(&vm->state_lock, NULL);
	pthread_cond_init(&vm->state_cond, NULL);
	rc = 0;
	vm->kernel = strdup_or_null(cfg->kernel, &rc);
	vm->initrd = strdup_or_null(cfg->initrd, &rc);
	vm->cmdline = strdup_or_null(cfg->cmdline ? cfg->cmdline : "", &rc);
	vm->instance_type = strdup_or_null(
		cfg->instance_type ? cfg->instance_type : VMM_DEFAULT_INSTANCE_TYPE, &rc);
	if (rc < 0)
		goto fail;
	vm->cfg.kernel = vm->kernel;
	vm->cfg.initrd = vm->initrd;
	vm->cfg.cmdline = vm->cmdline;
	vm->cfg.instance_type = vm->instance_type;
	vm->cfg.uuid = NULL;
	if (cfg->uuid)
		rc = smbios_uuid_parse(cfg->uuid, vm->uuid);
	else
		rc = smbios_uuid_generate_ec2(vm->uuid);
	if (rc < 0) {
		nc_err_set(err, rc, "cannot make the instance UUID");
		goto fail;
	}
	smbios_uuid_format(vm->uuid, vm->uuid_str);

	rc = vmm_open_kvm(vm, err);
	if (rc < 0)
		goto fail;
	vm->vm_fd = ioctl(vm->kvm_fd, KVM_CREATE_VM, 0);
	if (vm->vm_fd < 0) {
		rc = nc_err_set(err, -errno, "KVM_CREATE_VM: %s", strerror(errno));
		goto fail;
	}
	/* Intel VMX needs these in the guest-physical map; AMD ignores them. */
	ioctl(vm->vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &(uint64_t){ KVM_IDENTITY_MAP_GPA });
	ioctl(vm->vm_fd, KVM_SET_TSS_ADDR, (unsigned long)KVM_TSS_GPA);
	if (ioctl(vm->vm_fd, KVM_CREATE_IRQCHIP, 0) < 0) {
		rc = nc_err_set(err, -errno, "KVM_CREATE_IRQCHIP: %s", strerror(errno));
		goto fail;
	}
	if (ioctl(vm->vm_fd, KVM_CREATE_PIT2, &pit) < 0) {
		rc = nc_err_set(err, -errno, "KVM_CREATE_PIT2: %s", strerror(errno));
		goto fail;
	}
	rc = vmm_setup_memory(vm, err);
	if (rc < 0)
		goto fail;
	vmm_preload_start(vm);
	vm->tsc_deadline = ioctl(vm->kvm_fd, KVM_CHECK_EXTENSION, KVM_CAP_TSC_DEADLINE_TIMER) > 0;
	rc = kvm_get_cpuid(vm);
	if (rc < 0) {
		nc_err_set(err, rc, "KVM_GET_SUPPORTED_CPUID: %s", strerror(-rc));
		goto fail;
	}
	vm->run_size = (size_t)ioctl(vm->kvm_fd, KVM_GET_VCPU_MMAP_SIZE, 0);
	vm->n_vcpus = cfg->cpus;
	for (unsigned int i = 0; i < vm->n_vcpus; i++) {
		struct vcpu *c = &vm->vcpus[i];

		c->vm = vm;
		c->id = i;
		c->fd = ioctl(vm->vm_fd, KVM_CREATE_VCPU, (unsigned long)i);
		if (c->fd < 0) {
			rc = nc_err_set(err, -errno, "KVM_CREATE_VCPU %u: %s", i, strerror(errno));
			goto fail;
		}
		c->run = mmap(NULL, vm->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, c->fd, 0);
		if (c->run == MAP_FAILED) {
			c->run = NULL;
			rc = nc_err_set(err, -errno, "mmap vCPU %u: %s", i, strerror(errno));
			goto fail;
		}
		rc = vcpu_set_cpuid(vm, c);
		if (rc < 0) {
			nc_err_set(err, rc, "KVM_SET_CPUID2: %s", strerror(-rc));
			goto fail;
		}
	}

	vm->host = (struct dev_host){
		.mem = &vm->mem,
		.msix_notify = host_msix_notify,
		.irq_line = host_irq_line,
		.event = host_event,
		.opaque = vm,
	};
	uart_init(&vm->uart, uart_output, uart_irq, vm);
	vm->uart.rx_space = uart_rx_space;
	rc = pci_bus_new(VMM_PCI_MMIO_BASE, VMM_PCI_MMIO_LIMIT, VMM_PCI_IO_BASE, VMM_PCI_IO_LIMIT,
			 host_msi_send, vm, &vm->pci);
	if (rc == 0)
		rc = pci_bus_enable_ecam(vm->pci, VMM_PCI_ECAM_BASE);
	if (rc < 0) {
		nc_err_set(err, rc, "PCI bus: %s", strerror(-rc));
		goto fail;
	}
	vmm_setup_msi_routing(vm);
	/* The kick that makes KVM_RUN return: no SA_RESTART. */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR1, &sa, NULL);

	if (cfg->test_device_slot) {
		struct pci_dev_desc d;

		testdev_describe(&vm->testdev, cfg->test_device_slot, &d);
		rc = pci_bus_register(vm->pci, &d, NULL);
		if (rc < 0) {
			nc_err_set(err, rc, "test device at slot %u: %s", cfg->test_device_slot,
				   strerror(-rc));
			goto fail;
		}
	}
	if (cfg->attach_disk) {
		rc = cfg->attach_disk(vm, cfg->disk_opaque, err);
		if (rc < 0)
			goto fail;
	}
	if (cfg->attach_nic) {
		rc = cfg->attach_nic(vm, cfg->nic_opaque, err);
		if (rc < 0)
			goto fail;
	}
	*ret_vm = vm;
	return 0;
fail:
	vmm_destroy(vm);
	return rc;
}

int vmm_pci_register(struct vmm *vm, const struct pci_dev_desc *desc, void **ret_handle)
{
	if (vm->ran)
		return -EBUSY;
	return pci_bus_register(vm->pci, desc, ret_handle);
}

const struct dev_host *vmm_dev_host(struct vmm *vm)
{
	return &vm->host;
}

const char *vmm_uuid(const struct vmm *vm)
{
	return vm->uuid_str;
}

/* ---- Loading ---------------------------------------------------------------------- */

static int load_initrd(struct vmm *vm, const struct bzimage_info *bz, uint64_t kernel_end,
		       uint64_t *ret_gpa, uint64_t *ret_size, struct nc_err *err)
{
	_cleanup_close_ int fd = -1;
	struct stat st;
	uint64_t top, gpa;
	uint8_t *dst;
	size_t done = 0;

	fd = open(vm->initrd, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0)
		return nc_err_set(err, -errno, "%s: %s", vm->initrd, strerror(errno));
	if (!S_ISREG(st.st_mode) || st.st_size == 0)
		return nc_err_set(err, -EINVAL, "%s: not a non-empty file", vm->initrd);
	top = vm->low_ram;
	if (bz->initrd_addr_max && (uint64_t)bz->initrd_addr_max + 1 < top)
		top = (uint64_t)bz->initrd_addr_max + 1;
	if ((uint64_t)st.st_size > top)
		return nc_err_set(err, -ENOSPC, "%s: %lld bytes do not fit below %#llx",
				  vm->initrd, (long long)st.st_size, (unsigned long long)top);
	gpa = (top - (uint64_t)st.st_size) & ~0xfffull;
	if (gpa < kernel_end)
		return nc_err_set(err, -ENOSPC,
				  "%s: kernel and initrd do not fit in %llu MiB of memory",
				  vm->initrd, (unsigned long long)(vm->ram_size >> 20));
	dst = guest_mem_ptr(&vm->mem, gpa, (uint64_t)st.st_size);
	if (!dst)
		return nc_err_set(err, -EFAULT, "initrd placement outside RAM");
	while (done < (size_t)st.st_size) {
		ssize_t n = pread(fd, dst + done, (size_t)st.st_size - done, (off_t)done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return nc_err_set(err, n < 0 ? -errno : -EIO, "%s: read failed",
					  vm->initrd);
		done += (size_t)n;
	}
	*ret_gpa = gpa;
	*ret_size = (uint64_t)st.st_size;
	return 0;
}

static int write_tables(struct vmm *vm, uint64_t *ret_rsdp, struct nc_err *err)
{
	struct acpi_config ac = {
		.cpus = vm->n_vcpus,
		.base_gpa = VMM_ACPI_GPA,
		.ioapic_addr = VMM_IOAPIC_ADDR,
		.lapic_addr = VMM_LAPIC_ADDR,
		.pci_mmio_base = VMM_PCI_MMIO_BASE,
		.pci_mmio_limit = VMM_PCI_MMIO_LIMIT,
		.ecam_base = VMM_PCI_ECAM_BASE,
	};
	struct smbios_config sc = {
		.product = vm->instance_type,
		.cpus = vm->n_vcpus,
		.mem_bytes = vm->ram_size,
		.table_gpa = VMM_SMBIOS_TABLE_GPA,
	};
	uint8_t *acpi = guest_mem_ptr(&vm->mem, VMM_ACPI_GPA, VMM_ACPI_MAX);
	uint8_t *ep = guest_mem_ptr(&vm->mem, VMM_SMBIOS_EP_GPA, 31);
	struct mptable_config mc = {
		.cpus = vm->n_vcpus,
		.base_gpa = VMM_MPTABLE_GPA,
		.lapic_addr = VMM_LAPIC_ADDR,
		.ioapic_addr = VMM_IOAPIC_ADDR,
		.ioapic_id = (uint8_t)vm->n_vcpus,      /* as in the MADT */
	};
	uint8_t *table = guest_mem_ptr(&vm->mem, VMM_SMBIOS_TABLE_GPA, VMM_SMBIOS_MAX);
	uint8_t *mp = guest_mem_ptr(&vm->mem, VMM_MPTABLE_GPA, VMM_MPTABLE_MAX);
	size_t len;
	int rc;

	ac.n_pci_slots = pci_bus_slots(vm->pci, ac.pci_slots, ACPI_MAX_SLOTS);
	if (vm->high_ram) {
		/* 64-bit BARs could live above RAM; announce a window there. */
		ac.pci_mmio64_base = VMM_HIGH_RAM_BASE + vm->high_ram;
		ac.pci_mmio64_base = (ac.pci_mmio64_base + (1ull << 30) - 1) & ~((1ull << 30) - 1);
		ac.pci_mmio64_limit = ac.pci_mmio64_base + (64ull << 30) - 1;
	}
	rc = acpi_build(&ac, acpi, VMM_ACPI_MAX, &len);
	if (rc < 0)
		return nc_err_set(err, rc, "ACPI tables: %s", strerror(-rc));
	for (unsigned int i = 0; i < vm->cpuid->nent; i++) {
		if (vm->cpuid->entries[i].function == 1) {
			sc.cpuid_1_eax = vm->cpuid->entries[i].eax;
			sc.cpuid_1_edx = vm->cpuid->entries[i].edx;
		}
	}
	memcpy(sc.uuid, vm->uuid, 16);
	rc = smbios_build(&sc, ep, table, VMM_SMBIOS_MAX, &len);
	if (rc < 0)
		return nc_err_set(err, rc, "SMBIOS tables: %s", strerror(-rc));
	mc.cpu_signature = sc.cpuid_1_eax;
	mc.cpu_features = sc.cpuid_1_edx;
	rc = mptable_build(&mc, mp, VMM_MPTABLE_MAX, &len);
	if (rc < 0)
		return nc_err_set(err, rc, "MP table: %s", strerror(-rc));
	*ret_rsdp = VMM_ACPI_GPA;
	return 0;
}

/* Inserts a reserved range into a sorted e820 map with room for one more
 * entry (Linux checks the ECAM window against it). Returns the count. */
static int e820_add_reserved(struct e820_entry *map, int n, uint64_t addr, uint64_t size)
{
	int at = 0;

	while (at < n && map[at].addr < addr)
		at++;
	memmove(&map[at + 1], &map[at], (size_t)(n - at) * sizeof(map[0]));
	map[at] = (struct e820_entry){ .addr = addr, .size = size, .type = E820_RESERVED };
	return n + 1;
}

/* The kernel decompressed here and its vmlinux placed at its physical
 * addresses, entered at startup_64 with RSI = boot_params. Only when the
 * segments lie where the bzImage would have put the kernel, inside the
 * init_size it asks for; otherwise (or on any error) the caller boots the
 * bzImage, whose own decompressor then runs in the guest. */
static int load_vmlinux(struct vmm *vm, const uint8_t *img, size_t img_size,
			const struct bzimage_info *bz, uint64_t load, uint64_t kernel_end,
			uint64_t *ret_entry)
{
	struct vmlinux v;
	struct nc_err verr = { 0 };
	double t0 = vm->stats ? process_age_s(vm) : 0;
	int rc;

	rc = vmlinux_from_bzimage(img, img_size, bz->setup_size, &v, &verr);
	if (rc == 0 && (v.start != load || v.end > kernel_end))
		rc = nc_err_set(&verr, -ERANGE,
				"vmlinux at %#llx-%#llx, not inside %#llx-%#llx",
				(unsigned long long)v.start, (unsigned long long)v.end,
				(unsigned long long)load, (unsigned long long)kernel_end);
	for (unsigned int i = 0; rc == 0 && i < v.n_seg; i++) {
		const struct vmlinux_segment *sg = &v.seg[i];
		uint8_t *dst = guest_mem_ptr(&vm->mem, sg->paddr, sg->memsz);

		if (!dst) {
			rc = nc_err_set(&verr, -ERANGE, "vmlinux segment at %#llx outside RAM",
					(unsigned long long)sg->paddr);
			break;
		}
		memcpy(dst, sg->data, sg->filesz);
		memset(dst + sg->filesz, 0, sg->memsz - sg->filesz);
	}
	if (rc == 0)
		*ret_entry = v.entry;
	if (vm->stats) {
		vm->stats->t_decompress = process_age_s(vm) - t0;
		vm->stats->entry_kind = rc == 0 ? "vmlinux" : "bzImage (vmlinux refused)";
	}
	if (rc < 0 && vm->cfg.trace_fd >= 0)
		dprintf(vm->cfg.trace_fd, "vmm: booting the bzImage: %s\n", verr.msg);
	vmlinux_free(&v);
	return rc;
}

/* Reads the kernel and initrd into guest memory. Runs on its own thread
 * from vmm_create on (vmm_preload_start), so the file reads overlap the
 * machine's and the devices' setup (e.g. the disk's qemu-nbd start). */
static int load_images(struct vmm *vm, struct vmm_preload *ld, struct nc_err *err)
{
	struct bzimage_info *bz = &ld->bz;
	uint8_t *p;
	int rc;

	rc = read_file_full(vm->kernel, 512u << 20, &ld->img, &ld->img_size);
	if (rc < 0)
		return nc_err_set(err, rc, "%s: %s", vm->kernel, strerror(-rc));
	rc = bzimage_parse((const uint8_t *)ld->img, ld->img_size, bz, err);
	if (rc < 0) {
		char m[sizeof(err->msg)];

		snprintf(m, sizeof(m), "%s", err->msg);
		return nc_err_set(err, rc, "%s: %s", vm->kernel, m);
	}
	ld->load = bz->pref_address >= 0x100000 ? bz->pref_address : KERNEL_DEFAULT_GPA;
	if (bz->relocatable && bz->kernel_alignment && (ld->load % bz->kernel_alignment))
		ld->load = KERNEL_DEFAULT_GPA;
	ld->kernel_end = ld->load + (bz->init_size > bz->kernel_size ? bz->init_size :
								      bz->kernel_size);
	p = guest_mem_ptr(&vm->mem, ld->load, ld->kernel_end - ld->load);
	if (!p)
		return nc_err_set(err, -ENOSPC, "%s: does not fit in %llu MiB of memory", vm->kernel,
				  (unsigned long long)(vm->ram_size >> 20));
	ld->entry = ld->load + 0x200;   /* the bzImage's 64-bit entry point */
	if (!vm->cfg.host_decompress ||
	    load_vmlinux(vm, (const uint8_t *)ld->img, ld->img_size, bz, ld->load, ld->kernel_end,
			 &ld->entry) < 0)
		memcpy(p, bz->kernel, bz->kernel_size);
	if (vm->initrd)
		return load_initrd(vm, bz, ld->kernel_end, &ld->initrd_gpa, &ld->initrd_size, err);
	return 0;
}

static void *preload_thread(void *arg)
{
	struct vmm *vm = arg;

	vm->preload.rc = load_images(vm, &vm->preload, &vm->preload.err);
	return NULL;
}

/* Starts the reads; without a thread vmm_load reads inline. */
static void vmm_preload_start(struct vmm *vm)
{
	sigset_t all, old;

	/* Signals stay with the caller's threads. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	vm->preload.started = pthread_create(&vm->preload.thread, NULL, preload_thread, vm) == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* The kernel and initrd in place (waits for the preload thread). */
static int vmm_preload_finish(struct vmm *vm, struct nc_err *err)
{
	if (!vm->preload.started)
		vm->preload.rc = load_images(vm, &vm->preload, &vm->preload.err);
	else
		pthread_join(vm->preload.thread, NULL);
	vm->preload.started = false;
	if (vm->preload.rc < 0)
		return nc_err_set(err, vm->preload.rc, "%s", vm->preload.err.msg);
	return 0;
}

static int vmm_load(struct vmm *vm, uint64_t *ret_entry, uint64_t *ret_cr3, struct nc_err *err)
{
	struct vmm_preload *ld = &vm->preload;
	struct e820_entry e820[8];
	struct bootparams_layout l = { 0 };
	uint64_t gdt[BP_GDT_ENTRIES];
	size_t cmd_len = strlen(vm->cmdline);
	uint8_t *p;
	int rc, n;

	rc = vmm_preload_finish(vm, err);
	if (rc < 0)
		return rc;
	if (ld->bz.cmdline_size && cmd_len > ld->bz.cmdline_size)
		return nc_err_set(err, -E2BIG, "command line of %zu bytes: the kernel takes %u",
				  cmd_len, ld->bz.cmdline_size);
	if (cmd_len >= CMDLINE_MAX)
		return nc_err_set(err, -E2BIG, "command line too long");
	guest_mem_write(&vm->mem, CMDLINE_GPA, vm->cmdline, cmd_len + 1);
	l.cmdline_gpa = CMDLINE_GPA;
	l.cmdline_len = (uint32_t)cmd_len;
	l.initrd_gpa = ld->initrd_gpa;
	l.initrd_size = ld->initrd_size;
	rc = write_tables(vm, &l.rsdp_gpa, err);
	if (rc < 0)
		return rc;
	n = e820_build(vm->low_ram, vm->high_ram, e820, 7);
	if (n < 0)
		return nc_err_set(err, n, "e820: %s", strerror(-n));
	n = e820_add_reserved(e820, n, VMM_PCI_ECAM_BASE, PCI_ECAM_BUS_SIZE);
	l.e820 = e820;
	l.n_e820 = (unsigned int)n;
	p = guest_mem_ptr(&vm->mem, ZERO_PAGE_GPA, BP_ZERO_PAGE_SIZE);
	rc = bootparams_build(p, (const uint8_t *)ld->img, ld->img_size, &l);
	if (rc < 0)
		return nc_err_set(err, rc, "boot_params: %s", strerror(-rc));
	gdt_build(gdt);
	guest_mem_write(&vm->mem, GDT_GPA, gdt, sizeof(gdt));
	*ret_cr3 = pagetables_build(guest_mem_ptr(&vm->mem, PAGETABLE_GPA, BP_PAGETABLE_SIZE),
				    PAGETABLE_GPA);
	*ret_entry = ld->entry;
	/* The file's copy is not needed any more: guest memory has it. */
	free(ld->img);
	ld->img = NULL;
	return 0;
}

/* ---- Running ---------------------------------------------------------------------- */

static void vmm_join_vcpus(struct vmm *vm)
{
	atomic_store(&vm->stopping, true);
	for (unsigned int i = 0; i < vm->n_vcpus; i++) {
		struct vcpu *c = &vm->vcpus[i];

		if (!c->started)
			continue;
		/* A kick can land before the thread enters KVM_RUN: repeat it
		 * until the thread has seen `stopping`. */
		while (!atomic_load(&c->done)) {
			pthread_kill(c->thread, SIGUSR1);
			nanosleep(&(struct timespec){ 0, 5 * 1000 * 1000 }, NULL);
		}
		pthread_join(c->thread, NULL);
		c->started = false;
	}
}

int vmm_run(struct vmm *vm, unsigned int timeout_ms, struct vmm_result *ret, struct nc_err *err)
{
	uint64_t entry = 0, cr3 = 0;
	struct timespec deadline;
	sigset_t set, old;
	int rc;

	if (vm->ran)
		return nc_err_set(err, -EBUSY, "the machine has already run");
	vm->ran = true;
	if (vm->stats)
		vm->stats->t_run = process_age_s(vm);
	rc = vmm_load(vm, &entry, &cr3, err);
	if (rc < 0)
		return rc;
	if (vm->stats)
		vm->stats->t_loaded = process_age_s(vm);
	rc = vcpu_setup_boot(vm, &vm->vcpus[0], entry, cr3);
	if (rc < 0)
		return nc_err_set(err, rc, "vCPU 0 registers: %s", strerror(-rc));

	vmm_setup_pio_ring(vm);

	/* The vCPU threads inherit a mask with the kick blocked and unblock it
	 * themselves, so only they take it. */
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	for (unsigned int i = 0; i < vm->n_vcpus; i++) {
		struct vcpu *c = &vm->vcpus[i];

		rc = -pthread_create(&c->thread, NULL, vcpu_thread, c);
		if (rc < 0) {
			nc_err_set(err, rc, "cannot start vCPU %u", i);
			vmm_stop(vm, VMM_EXIT_ERROR, "thread creation failed");
			break;
		}
		c->started = true;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc == 0 && vm->cfg.console_in_fd >= 0) {
		struct console_input *ci = NULL;

		/* Without input the guest still runs: not worth failing for. */
		if (console_input_start(vm->cfg.console_in_fd, vm->cfg.console_escape, &vm->uart,
					&vm->io_lock, console_quit, vm, &ci) == 0) {
			pthread_mutex_lock(&vm->io_lock);
			vm->console_in = ci;
			pthread_mutex_unlock(&vm->io_lock);
		}
	}

	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += timeout_ms / 1000;
	deadline.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&vm->state_lock);
	while (vm->reason == VMM_EXIT_NONE) {
		struct timespec wake = deadline;

		/* Console bytes batched by KVM, or held for their line's end,
		 * show up within 100 ms even when the guest makes no exit and
		 * no newline after them. */
		if (vm->pio_ring) {
			clock_gettime(CLOCK_REALTIME, &wake);
			wake.tv_nsec += 100 * 1000000L;
			if (wake.tv_nsec >= 1000000000L) {
				wake.tv_sec++;
				wake.tv_nsec -= 1000000000L;
			}
			if (timeout_ms && (wake.tv_sec > deadline.tv_sec ||
					   (wake.tv_sec == deadline.tv_sec &&
					    wake.tv_nsec > deadline.tv_nsec)))
				wake = deadline;
		}
		if (timeout_ms == 0 && !vm->pio_ring) {
			pthread_cond_wait(&vm->state_cond, &vm->state_lock);
		} else if (pthread_cond_timedwait(&vm->state_cond, &vm->state_lock, &wake) ==
			   ETIMEDOUT) {
			struct timespec now;

			clock_gettime(CLOCK_REALTIME, &now);
			if (timeout_ms && (now.tv_sec > deadline.tv_sec ||
					   (now.tv_sec == deadline.tv_sec &&
					    now.tv_nsec >= deadline.tv_nsec))) {
				vm->reason = VMM_EXIT_TIMEOUT;
				snprintf(vm->detail, sizeof(vm->detail),
					 "no shutdown after %u ms", timeout_ms);
			} else {
				pthread_mutex_unlock(&vm->state_lock);
				pthread_mutex_lock(&vm->io_lock);
				thr_drain_locked(vm);
				console_out_flush(vm);
				pthread_mutex_unlock(&vm->io_lock);
				pthread_mutex_lock(&vm->state_lock);
			}
		}
	}
	pthread_mutex_unlock(&vm->state_lock);
	if (vm->console_in) {
		struct console_input *ci = vm->console_in;

		pthread_mutex_lock(&vm->io_lock);
		vm->console_in = NULL;
		pthread_mutex_unlock(&vm->io_lock);
		console_input_stop(ci);
	}
	vmm_join_vcpus(vm);
	thr_drain(vm);
	flush_console_line(vm);

	memset(ret, 0, sizeof(*ret));
	ret->reason = vm->reason;
	snprintf(ret->detail, sizeof(ret->detail), "%s", vm->detail);
	/* Where a guest that did not finish was stuck: the vCPUs' RIPs. */
	if (vm->reason == VMM_EXIT_TIMEOUT || vm->reason == VMM_EXIT_STOPPED) {
		for (unsigned int i = 0; i < vm->n_vcpus && i < 8; i++) {
			struct kvm_regs regs;
			size_t n = strlen(ret->detail);

			if (ioctl(vm->vcpus[i].fd, KVM_GET_REGS, &regs) == 0)
				snprintf(ret->detail + n, sizeof(ret->detail) - n,
					 "; vCPU %u rip %#llx", i, (unsigned long long)regs.rip);
		}
	}
	ret->exits = atomic_load(&vm->exits);
	if (vm->stats)
		stats_report(vm);
	if (vm->msi) {
		struct msi_router_stats st;

		msi_router_get_stats(vm->msi, &st);
		ret->msi_irqfd = st.irqfd_sends;
		ret->msi_signalled = st.signal_sends;
		if (vm->cfg.trace_fd >= 0)
			dprintf(vm->cfg.trace_fd,
				"vmm: msi: %u routes (%u irqfds, %u table updates%s), %llu by "
				"irqfd, %llu by KVM_SIGNAL_MSI\n",
				st.routes, st.irqfds, st.table_updates,
				st.disabled ? ", routing failed" : "",
				(unsigned long long)st.irqfd_sends,
				(unsigned long long)st.signal_sends);
	}
	return rc < 0 ? rc : 0;
}

int vmm_memory_usage(const struct vmm *vm, struct vmm_mem_usage *ret)
{
	_cleanup_fclose_ FILE *f = NULL;
	char line[512];
	bool in_guest = false;

	memset(ret, 0, sizeof(*ret));
	f = fopen("/proc/self/smaps", "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long lo, hi, kib;
		char c;

		/* Mapping lines start "lo-hi perms ..."; fields "Name: N kB". */
		if (sscanf(line, "%llx-%llx %c", &lo, &hi, &c) == 3) {
			in_guest = vm->ram && lo >= (uintptr_t)vm->ram &&
				   hi <= (uintptr_t)vm->ram + vm->ram_size;
		} else if (sscanf(line, "Rss: %llu kB", &kib) == 1) {
			ret->rss_kib += kib;
			if (in_guest)
				ret->guest_rss_kib += kib;
		} else if (sscanf(line, "Anonymous: %llu kB", &kib) == 1) {
			ret->anon_kib += kib;
			if (in_guest)
				ret->guest_anon_kib += kib;
		}
	}
	return 0;
}

void vmm_destroy(struct vmm *vm)
{
	if (!vm)
		return;
	if (vm->preload.started)
		pthread_join(vm->preload.thread, NULL);
	free(vm->preload.img);
	vmm_join_vcpus(vm);
	if (vm->cfg.detach_nic)
		vm->cfg.detach_nic(vm->cfg.nic_opaque);
	for (unsigned int i = 0; i < vm->n_vcpus; i++) {
		if (vm->vcpus[i].run)
			munmap(vm->vcpus[i].run, vm->run_size);
		if (vm->vcpus[i].fd >= 0)
			close(vm->vcpus[i].fd);
	}
	pci_bus_free(vm->pci);
	msi_router_free(vm->msi);
	if (vm->ram)
		munmap(vm->ram, vm->ram_size);
	if (vm->vm_fd >= 0)
		close(vm->vm_fd);
	if (vm->kvm_fd >= 0)
		close(vm->kvm_fd);
	free(vm->cpuid);
	free(vm->stats);
	free(vm->kernel);
	free(vm->initrd);
	free(vm->cmdline);
	free(vm->instance_type);
	pthread_mutex_destroy(&vm->io_lock);
	pthread_mutex_destroy(&vm->state_lock);
	pthread_cond_destroy(&vm->state_cond);
	free(vm);
}
