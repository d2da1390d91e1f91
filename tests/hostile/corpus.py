"""The hostile corpus: broken, strange and unfriendly scripts, generated from tables.

Each case is (name, content, outcomes): content is the script's text (str) or raw
bytes; outcomes are the endings the CLI may report for it (see ``OUTCOMES``). A case
whose content is None is a special file (a FIFO, a device, a folder) made by the
runner. ``write_corpus(folder)`` writes every script to disk.
"""

from __future__ import annotations

import codecs
from pathlib import Path

OUTCOMES = {
    "finished",  # ran to the end (with or without a graph)
    "syntax",
    "runtime",
    "timeout",
    "memory",
    "signal",
    "exit",
    "lost",
    "refused",  # the file was not opened: not a regular file, too big, not text
}
F, S, R, T, M = "finished", "syntax", "runtime", "timeout", "memory"

GRAPH = "import torch\nx = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)\n"

# -- the learner's classic autograd mistakes -------------------------------------------
AUTOGRAD = [
    ("nonscalar_backward", GRAPH + "y = x * 2\ny.backward()\n", {R}),
    (
        "second_backward",
        GRAPH + "y = (x * x).sum()\ny.backward()\ny.backward()\n",
        {R},
    ),
    ("inplace_on_leaf", GRAPH + "x += 1\n", {R}),
    ("int_requires_grad", "import torch\nx = torch.arange(4, requires_grad=True)\n", {R}),
    ("numpy_of_requires_grad", GRAPH + "print(x.numpy())\n", {R}),
    ("backward_without_grad", "import torch\nx = torch.ones(3)\nx.sum().backward()\n", {R}),
    ("grad_of_nonleaf_is_none", GRAPH + "y = x * 2\ny.sum().backward()\nprint(y.grad)\n", {F}),
    ("zero_none_grad", GRAPH + "x.grad.zero_()\n", {R}),
    ("shape_mismatch", GRAPH + "y = x + torch.ones(4)\n", {R}),
    ("matmul_mismatch", "import torch\na = torch.ones(2, 3)\nb = torch.ones(2, 3)\na @ b\n", {R}),
    (
        "saved_tensor_modified",
        GRAPH + "y = x.exp()\nz = y * 1\ny.mul_(2)\nz.sum().backward()\n",
        {R, F},
    ),
    (
        "grad_unused_input",
        GRAPH
        + "w = torch.ones(3, requires_grad=True)\n"
        + "torch.autograd.grad((x * 2).sum(), [x, w])\n",
        {R},
    ),
    (
        "forgot_zero_grad",
        GRAPH + "for _ in range(3):\n    (x * x).sum().backward()\nprint(x.grad)\n",
        {F},
    ),
    ("detach_then_backward", GRAPH + "y = x.detach() * 2\ny.sum().backward()\n", {R}),
    ("item_of_vector", GRAPH + "x.item()\n", {R}),
    ("requires_grad_on_nonleaf", GRAPH + "y = x * 2\ny.requires_grad_(False)\n", {R}),
    ("name_error", GRAPH + "y = x * undefined\n", {R}),
    (
        "grad_in_no_grad",
        GRAPH + "with torch.no_grad():\n    y = (x * 2).sum()\ny.backward()\n",
        {R},
    ),
]

# -- loops, sleeps and waits ----------------------------------------------------------------
LOOPS = [
    ("while_true_pass", "while True:\n    pass\n", {T}),
    ("while_true_math", "n = 0\nwhile True:\n    n = (n + 1) % 7\n", {T}),
    ("sleep_long", "import time\ntime.sleep(1000)\n", {T}),
    ("event_wait", "import threading\nthreading.Event().wait()\n", {T}),
    ("input_call", "name = input('name? ')\nprint(name)\n", {R}),
    ("signal_pause", "import signal\nsignal.pause()\n", {T}),
    ("busy_graph_loop", GRAPH + "while True:\n    y = (x * 2).sum()\n", {T, M}),
    (
        "ignore_sigterm_loop",
        "import signal\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\nwhile True:\n    pass\n",
        {T},
    ),
    ("select_forever", "import select, os\nr, w = os.pipe()\nselect.select([r], [], [])\n", {T}),
    (
        "join_self_thread",
        "import threading\nthreading.Thread(target=lambda: __import__('time').sleep(999)).start()\nwhile True: pass\n",
        {T},
    ),
]

# -- memory bombs --------------------------------------------------------------------------
MEMORY = [
    ("bytearray_huge", "x = bytearray(10**11)\n", {M}),
    ("list_growth", "chunks = []\nwhile True:\n    chunks.append(bytearray(2**20))\n", {M, T}),
    ("numpy_huge", "import numpy as np\nx = np.ones(10**11)\n", {M}),
    # Touching pages is slow on a loaded machine: the time limit may come first.
    ("numpy_gradual", "import numpy as np\na = [np.ones(2**20) for _ in range(10**4)]\n", {M, T}),
    ("string_doubling", "s = 'x'\nwhile True:\n    s = s + s\n", {M}),
    ("torch_huge", "import torch\nx = torch.ones(100000, 100000)\n", {M, R}),
    ("list_mult", "x = [0] * 10**11\n", {M}),
    ("dict_growth", "d = {}\ni = 0\nwhile True:\n    d[i] = str(i) * 100\n    i += 1\n", {M, T}),
    ("bytes_mult", "x = b'a' * 10**11\n", {M}),
    ("touch_pages", "import numpy as np\nx = np.empty(2 * 10**8)\nx[:] = 1\n", {M, T}),
    (
        "threads_alloc",
        "import threading\nbufs = []\ndef f():\n    while True:\n        bufs.append(bytearray(2**20))\nfor _ in range(4):\n    threading.Thread(target=f, daemon=True).start()\nimport time\ntime.sleep(100)\n",
        {M, T},
    ),
    (
        "raise_limit",
        "import resource\nresource.setrlimit(resource.RLIMIT_DATA, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))\n",
        {R},
    ),
]

# -- recursion -----------------------------------------------------------------------------
RECURSION = [
    ("recursion_default", "def f(n):\n    return f(n + 1)\nf(0)\n", {R}),
    (
        "recursion_raised_limit",
        "import sys\nsys.setrecursionlimit(10**6)\ndef f(n):\n    return f(n + 1)\nf(0)\n",
        {R, M, T, "signal"},
    ),
    (
        "recursion_in_repr",
        "class A:\n    def __repr__(self):\n        return repr(self)\nA()\n",
        {R},
    ),
    ("mutual_recursion", "def a(n): return b(n)\ndef b(n): return a(n)\na(1)\n", {R}),
    ("deep_nested_list", "x = []\nfor _ in range(100000):\n    x = [x]\nprint(x)\n", {R, F}),
    (
        "low_recursion_limit",
        "import sys\nsys.setrecursionlimit(50)\nraise ValueError('low')\n",
        {R},
    ),
    ("deep_expression", "x = " + "(" * 5000 + "1" + ")" * 5000 + "\n", {S}),
    ("long_sum_expression", "x = " + " + ".join(["1"] * 50000) + "\n", {S, F}),
    ("nested_calls_source", "x = " + "abs(" * 3000 + "1" + ")" * 3000 + "\n", {S}),
]

# -- huge output ---------------------------------------------------------------------------
OUTPUT = [
    ("print_half_mb_line", "print('x' * 500_000)\n", {F}),
    ("print_2mb_line", "print('x' * 2_000_000)\n", {F}),
    ("print_many_lines", "for i in range(300_000):\n    print(i)\n", {F, T}),
    ("print_forever", "while True:\n    print('spam ' * 20)\n", {T}),
    ("stdout_write_big", "import sys\nsys.stdout.write('y' * 3_000_000)\n", {F}),
    ("stderr_flood", "import sys\nfor _ in range(100_000):\n    sys.stderr.write('err\\n')\n", {F}),
    ("raw_fd_flood", "import os\nfor _ in range(1000):\n    os.write(1, b'z' * 100_000)\n", {F, R}),
    ("ansi_flood", "print('\\x1b[31mred\\x1b[0m' * 100_000)\n", {F}),
    ("print_surrogates", "print('\\ud800 lone', '\\udfff')\n", {F}),
    ("print_nul", "print('a\\x00b' * 1000)\n", {F}),
    ("huge_exception_message", "raise ValueError('m' * 5_000_000)\n", {R}),
    ("surrogate_exception_message", "raise ValueError('bad \\ud800 char')\n", {R}),
    ("buffer_write", "import sys\nsys.stdout.buffer.write(b'bytes \\xff out\\n')\n", {F}),
    ("print_bytes_huge", "print(b'\\x01' * 1_000_000)\n", {F}),
    (
        "crash_after_output",
        "import os\nos.write(2, b'\\x1b[1mboom\\x1b[0m\\n' * 200000)\nos.abort()\n",
        {"signal"},
    ),
]

# -- threads, processes ----------------------------------------------------------------------
PROCESSES = [
    (
        "leftover_thread",
        "import threading, time\nthreading.Thread(target=time.sleep, args=(100,)).start()\nprint('ok')\n",
        {F},
    ),
    (
        "fifty_threads",
        "import threading\nts = [threading.Thread(target=lambda: None) for _ in range(50)]\n[t.start() for t in ts]\n[t.join() for t in ts]\n",
        {F},
    ),
    (
        "thread_raises",
        "import threading\nt = threading.Thread(target=lambda: 1 / 0)\nt.start()\nt.join()\n",
        {F},
    ),
    (
        "mp_process_leftover",
        "import multiprocessing as mp, time\nmp.Process(target=time.sleep, args=(100,)).start()\n",
        {F},
    ),
    (
        "mp_pool",
        "import multiprocessing as mp\nwith mp.Pool(2) as p:\n    print(p.map(abs, [-1, -2]))\n",
        {F, R},
    ),
    ("fork_leftover", "import os, time\nif os.fork() == 0:\n    time.sleep(100)\n", {F}),
    (
        "fork_ten",
        "import os, time\nfor _ in range(10):\n    if os.fork() == 0:\n        time.sleep(100)\n        os._exit(0)\n",
        {F},
    ),
    (
        "subprocess_leftover",
        "import subprocess, sys\nsubprocess.Popen([sys.executable, '-c', 'import time; time.sleep(100)'])\n",
        {F},
    ),
    (
        "setsid_leftover",
        "import subprocess, sys\nsubprocess.Popen([sys.executable, '-c', 'import os, time; os.setsid(); time.sleep(100)'])\n",
        {F},
    ),
    (
        "double_fork_daemon",
        "import os, time\nif os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n        time.sleep(100)\n    os._exit(0)\n",
        {F},
    ),
    (
        "daemon_thread_prints",
        "import threading\ndef f():\n    while True:\n        print('tick')\nthreading.Thread(target=f, daemon=True).start()\n",
        {F},
    ),
    (
        "executor",
        "from concurrent.futures import ThreadPoolExecutor\nwith ThreadPoolExecutor(4) as ex:\n    print(list(ex.map(abs, [-1, -2])))\n",
        {F},
    ),
    ("atexit_sleep", "import atexit, time\natexit.register(time.sleep, 100)\n", {F}),
    ("atexit_raise", "import atexit\natexit.register(lambda: 1 / 0)\n", {F}),
    (
        "subprocess_loop_child",
        "import subprocess, sys\nsubprocess.run([sys.executable, '-c', 'while True: pass'])\n",
        {T},
    ),
    ("kill_own_group", "import os, signal\nos.killpg(0, signal.SIGKILL)\n", {"signal"}),
]

# -- exits -----------------------------------------------------------------------------------
EXITS = [
    (f"sys_exit_{code}", f"import sys\nsys.exit({code})\n", {R}) for code in (1, 2, 3, 42, 255)
]
EXITS += [
    (f"os_exit_{code}", f"import os\nos._exit({code})\n", {"exit"}) for code in (0, 1, 3, 42, 255)
]
EXITS += [
    ("sys_exit_none", "import sys\nsys.exit()\nprint('unreachable')\n", {F}),
    ("sys_exit_zero", "import sys\nsys.exit(0)\n", {F}),
    ("sys_exit_message", "import sys\nsys.exit('bye now')\n", {R}),
    ("builtin_exit", "exit(5)\n", {R}),
    ("raise_systemexit_cell2", "x = 1\n# %%\nraise SystemExit(7)\n", {R}),
    ("keyboard_interrupt", "raise KeyboardInterrupt\n", {R}),
    ("generator_exit", "raise GeneratorExit\n", {R}),
    ("base_exception", "class B(BaseException):\n    pass\nraise B('base')\n", {R}),
]

# -- signals ---------------------------------------------------------------------------------
_SIGNALS = [
    "SIGKILL",
    "SIGSEGV",
    "SIGTERM",
    "SIGABRT",
    "SIGUSR1",
    "SIGUSR2",
    "SIGHUP",
    "SIGQUIT",
    "SIGBUS",
    "SIGFPE",
    "SIGILL",
    "SIGXCPU",
]
SIGNALS = [
    (
        f"self_{name.lower()}",
        f"import os, signal\nos.kill(os.getpid(), signal.{name})\nimport time\ntime.sleep(5)\n",
        {"signal"},
    )
    for name in _SIGNALS
]
SIGNALS += [
    # Python ignores SIGPIPE, so the script sleeps on into its time limit.
    (
        "self_sigpipe",
        "import os, signal\nos.kill(os.getpid(), signal.SIGPIPE)\nimport time\ntime.sleep(5)\n",
        {T},
    ),
    (
        "self_sigint",
        "import os, signal\nos.kill(os.getpid(), signal.SIGINT)\nimport time\ntime.sleep(5)\n",
        {R},
    ),
    ("alarm_default", "import signal, time\nsignal.alarm(1)\ntime.sleep(10)\n", {"signal"}),
    (
        "alarm_handler_raises",
        "import signal, time\ndef h(*a):\n    raise RuntimeError('alarm')\nsignal.signal(signal.SIGALRM, h)\nsignal.setitimer(signal.ITIMER_REAL, 0.2, 0.05)\ntime.sleep(10)\n",
        {R},
    ),
    (
        "itimer_after_end",
        "import signal\ndef h(*a):\n    raise RuntimeError('late')\nsignal.signal(signal.SIGALRM, h)\nsignal.setitimer(signal.ITIMER_REAL, 0.05, 0.001)\nimport torch\nx = torch.ones(2, requires_grad=True)\n(x * x).sum().backward()\n",
        {F, R},
    ),
    ("os_abort", "import os\nos.abort()\n", {"signal"}),
    ("ctypes_segfault", "import ctypes\nctypes.string_at(0)\n", {"signal"}),
    (
        "faulthandler_dump",
        "import faulthandler, sys\nfaulthandler.dump_traceback(sys.__stderr__)\nprint('fine')\n",
        {F},
    ),
]

# -- encodings, bytes, line endings -------------------------------------------------------------
_BODY = "import torch\nx = torch.ones(2, requires_grad=True)\ny = (x * 3).sum()\ny.backward()\nprint(x.grad)\n"
ENCODINGS = [
    ("bom_utf8", codecs.BOM_UTF8 + _BODY.encode(), {F}),
    ("utf16_le_bom", _BODY.encode("utf-16"), {F}),
    ("utf16_be_bom", codecs.BOM_UTF16_BE + _BODY.encode("utf-16-be"), {F}),
    ("utf32_bom", _BODY.encode("utf-32"), {F}),
    ("utf16_broken", codecs.BOM_UTF16_LE + b"\x00\xd8", {"refused"}),
    ("latin1_bytes", "s = 'caf\xe9'\n".encode("latin-1"), {"refused"}),
    ("nul_byte", b"x = 1\ny = 2\x00\n", {S}),
    ("nul_in_string", b"s = '\x00'\n", {S}),
    ("crlf_endings", _BODY.replace("\n", "\r\n").encode(), {F}),
    ("cr_endings", (_BODY.replace("\n", "\r") + "1/0\r").encode(), {R}),
    ("form_feed_then_error", "x = 1\n\f\ny = 2\nz = 1 / 0\n", {R}),
    ("u2028_in_string_then_error", "s = 'a\u2028b'\nt = 1\nz = 1 / 0\n", {R}),
    ("tab_error", "if True:\n\tx = 1\n        y = 2\n", {S}),
    ("empty_file", b"", {F}),
    ("only_comments", "# nothing here\n# %%\n# still nothing\n", {F}),
    ("bom_then_cells", codecs.BOM_UTF8 + b"x = 1\n# %%\ny = (\n", {S}),
    ("invalid_utf8_comment", b"# \xff\xfe bad\nx = 1\n", {"refused"}),
    ("zero_width_chars", "x\u200b = 1\n", {S}),
    ("rtl_override", "s = '\u202e txt'\nprint(s)\n", {F}),
    ("emoji_identifier", "\U0001f600 = 1\n", {S}),
]

# -- very long lines and big files ---------------------------------------------------------------
LONG = [
    ("long_string_literal", "s = '" + "a" * 3_000_000 + "'\nprint(len(s))\n", {F}),
    ("many_lines", "".join(f"v{i} = {i}\n" for i in range(100_000)), {F, T}),
    ("too_big_file", "# padding\n" * 600_000, {"refused"}),
    ("long_comment_line", "#" + "c" * 2_000_000 + "\nprint('ok')\n", {F}),
    ("many_cells", "".join(f"# %%\nc{i} = {i}\n" for i in range(2000)), {F}),
]

# -- cells and line numbers ----------------------------------------------------------------------
CELLS = [
    ("syntax_error_cell2", "x = 1\n# %%\ny = 2\nz = (\n", {S}),
    ("syntax_error_cell3", "a = 1\n# %%\nb = 2\n# %%\nc = 3\nd = ]\n", {S}),
    ("runtime_error_cell3", "a = 1\n# %%\nb = 2\n# %%\nc = 3\nd = 1 / 0\n", {R}),
    ("cell_mark_in_string", 's = """\n# %%\n"""\nt = (1,\n', {S}),
    ("cell_mark_indented", "def f():\n    # %%\n    return 1\nprint(f())\n", {F}),
    ("indentation_error_cell2", "x = 1\n# %%\n  y = 2\n", {S}),
    ("return_outside_function_cell2", "x = 1\n# %%\nreturn 5\n", {S}),
    (
        "last_expression_repr_raises",
        "class A:\n    def __repr__(self):\n        raise ValueError('repr')\nA()\n",
        {R},
    ),
]

# -- scripts that attack the worker itself -------------------------------------------------------
HOSTILE = [
    ("patch_open", "import builtins\nbuiltins.open = None\nraise ValueError('after patch')\n", {R}),
    (
        "patch_gc_collect",
        "import gc\ngc.collect = None\nimport torch\nx = torch.ones(2, requires_grad=True)\n(x * 2).sum().backward()\n",
        {F},
    ),
    ("stdout_close", "import sys\nsys.stdout.close()\nprint('still')\n", {F, R}),
    ("stdout_none", "import sys\nsys.stdout = None\nprint('gone')\n", {F}),
    ("stderr_none_then_error", "import sys\nsys.stderr = None\n1 / 0\n", {R}),
    ("patch_json", "import json\njson.dumps = None\njson.loads = None\nprint('ok')\n", {F}),
    (
        "patch_traceback",
        "import traceback\ntraceback.extract_tb = None\ntraceback.format_list = None\n1 / 0\n",
        {R},
    ),
    (
        "str_raises",
        "class E(Exception):\n    def __str__(self):\n        raise ValueError('no')\nraise E()\n",
        {R},
    ),
    (
        "str_returns_nonstr",
        "class E(Exception):\n    def __str__(self):\n        return 5\nraise E()\n",
        {R},
    ),
    (
        "str_returns_subclass",
        "class S(str):\n    def __add__(self, o):\n        raise RuntimeError\nclass E(Exception):\n    def __str__(self):\n        return S('weird')\nraise E()\n",
        {R},
    ),
    (
        "settrace_raises",
        "import sys\ndef t(*a):\n    raise RuntimeError('trace')\nsys.settrace(t)\nsys.setprofile(t)\nx = 1\n",
        {R, F},
    ),
    (
        "warning_str_raises",
        "import warnings\nclass W(UserWarning):\n    def __str__(self):\n        raise ValueError\nwarnings.warn(W())\n",
        {F, R},
    ),
    ("delete_import", "import builtins\ndel builtins.__import__\n", {F, R}),
    ("clear_sys_modules", "import sys\nsys.modules.clear()\n", {F, R}),
    ("gc_callback_raises", "import gc\ngc.callbacks.append(lambda *a: 1 / 0)\nprint('cb')\n", {F}),
    (
        "patch_builtins_str",
        "import builtins\nbuiltins.str = None\nbuiltins.repr = None\nraise KeyError('k')\n",
        {R},
    ),
    ("replace_os_write", "import os\nos.write = None\nos._exit = None\nprint('ok')\n", {F}),
    (
        "close_all_fds",
        "import os\nfor fd in range(3, 256):\n    try:\n        os.close(fd)\n    except OSError:\n        pass\nprint('closed')\n",
        {F, "lost", "exit"},
    ),
    (
        "write_garbage_to_fds",
        "import os\nfor fd in range(3, 64):\n    try:\n        os.write(fd, b'garbage')\n    except OSError:\n        pass\nprint('x')\n",
        {F, "lost", R},
    ),
    (
        "metaclass_name",
        "class M(type):\n    @property\n    def __name__(cls):\n        raise RuntimeError\nclass E(Exception, metaclass=M):\n    pass\nraise E('m')\n",
        {R},
    ),
    (
        "exception_in_del",
        "class D:\n    def __del__(self):\n        raise RuntimeError('del')\nd = D()\ndel d\nprint('ok')\n",
        {F},
    ),
    ("chdir_away", "import os\nos.chdir('/')\nprint(os.getcwd())\n", {F}),
    ("delete_workdir", "import os, shutil\nshutil.rmtree(os.getcwd())\nprint('gone')\n", {F, R}),
    (
        "rlimit_nofile_low",
        "import resource\nresource.setrlimit(resource.RLIMIT_NOFILE, (3, 3))\nprint('low')\n",
        {F, R},
    ),
    (
        "sigpipe_ignore_then_exit",
        "import signal\nsignal.signal(signal.SIGPIPE, signal.SIG_DFL)\nprint('p')\n",
        {F},
    ),
]

# -- network, files, environment -------------------------------------------------------------
OUTSIDE = [
    ("connect_tcp", "import socket\nsocket.create_connection(('1.1.1.1', 80), timeout=2)\n", {R}),
    (
        "connect_localhost",
        "import socket\nsocket.create_connection(('127.0.0.1', 22), timeout=2)\n",
        {R},
    ),
    ("write_tmp_outside", "open('/tmp/gradviz-hostile-escape.txt', 'w').write('x')\n", {R}),
    (
        "write_home_file",
        "import os\np = os.path.expanduser('~/note.txt')\nopen(p, 'w').write('x')\nprint('wrote')\n",
        {F},
    ),
    (
        "read_env_secret",
        "import os\nprint(os.environ.get('GRADVIZ_CORPUS_SECRET', 'no secret'))\n",
        {F},
    ),
    ("write_cwd", "open('local.txt', 'w').write('fine')\nprint(open('local.txt').read())\n", {F}),
    ("big_file_write", "f = open('big.bin', 'wb')\nf.write(b'0' * 200_000_000)\n", {R, M}),
    (
        "urlopen",
        "import urllib.request\nurllib.request.urlopen('http://example.com', timeout=2)\n",
        {R},
    ),
]

# -- enormous graphs -------------------------------------------------------------------------
GRAPHS = [
    (
        "chain_2000_ops",
        "import torch\nx = torch.ones(3, requires_grad=True)\ny = x\nfor _ in range(2000):\n    y = y * 1.0001\ny.sum().backward()\n",
        {F, T},
    ),
    (
        "loop_1e5_ops",
        "import torch\nx = torch.ones(2, requires_grad=True)\ny = x\nfor _ in range(100_000):\n    y = y + 1\n",
        {F, T, M},
    ),
    (
        "training_1e4_steps",
        "import torch\nw = torch.zeros(3, requires_grad=True)\nfor _ in range(10_000):\n    loss = ((w - 1) ** 2).sum()\n    loss.backward()\n    with torch.no_grad():\n        w -= 0.1 * w.grad\n    w.grad.zero_()\nprint(w)\n",
        {F, T, M},
    ),
    (
        "wide_3000_leaves",
        "import torch\nxs = [torch.ones(1, requires_grad=True) for _ in range(3000)]\ns = sum(xs)\ns.backward()\n",
        {F, T},
    ),
    (
        "big_tensor_graph",
        "import torch\nx = torch.ones(1000, 1000, requires_grad=True)\n(x * x).sum().backward()\nprint(x.grad.shape)\n",
        {F},
    ),
]


def _ensure_many_variants() -> list:
    """Small generated families: every arithmetic error and exception type in turn."""
    cases = []
    for exc in (
        "ValueError",
        "TypeError",
        "KeyError",
        "IndexError",
        "AttributeError",
        "ZeroDivisionError",
        "AssertionError",
        "NotImplementedError",
        "OverflowError",
        "UnicodeError",
    ):
        cases.append(
            (
                f"raise_{exc.lower()}",
                f"import torch\nx = torch.ones(2)\n# %%\nraise {exc}('from line 3')\n",
                {R},
            )
        )
    return cases


def cases() -> list[tuple[str, object, set[str]]]:
    table = (
        AUTOGRAD
        + LOOPS
        + MEMORY
        + RECURSION
        + OUTPUT
        + PROCESSES
        + EXITS
        + SIGNALS
        + ENCODINGS
        + LONG
        + CELLS
        + HOSTILE
        + OUTSIDE
        + GRAPHS
        + _ensure_many_variants()
    )
    names = [name for name, _c, _o in table]
    assert len(names) == len(set(names)), "case names must be unique"
    assert all(o <= OUTCOMES for _n, _c, o in table)
    return table


# Made by the runner, not written as scripts: they must be refused at once.
SPECIAL_FILES = ["fifo", "dev_zero", "dev_urandom", "folder", "missing", "socket_file"]


def write_corpus(folder: Path) -> dict[str, tuple[Path, set[str]]]:
    """Write every case as NAME.py in folder; returns name → (path, allowed outcomes)."""
    folder.mkdir(parents=True, exist_ok=True)
    written = {}
    for name, content, outcomes in cases():
        path = folder / f"{name}.py"
        data = content if isinstance(content, bytes) else content.encode("utf-8", "surrogatepass")
        path.write_bytes(data)
        written[name] = (path, outcomes)
    return written
