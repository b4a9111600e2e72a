"""How ``tools/install.sh`` builds mmcv's compiled ops on this machine.

The decision, made from the installed torch and the environment:

- **variant**: CUDA ops when torch is a CUDA build that sees a GPU (or
  ``FORCE_CUDA=1``), CPU ops otherwise (or with ``FORCE_CUDA=0``);
- **CUDA architectures**: ``TORCH_CUDA_ARCH_LIST`` when set, else the compute
  capabilities of the visible GPUs (capped, as torch does, at the newest
  architecture the torch build knows);
- **compiler**: a CUDA toolkit of this machine (``MMFEWSHOT_NVCC``,
  ``CUDA_HOME``, ``CUDA_PATH``, ``nvcc`` on ``PATH``, ``/usr/local/cuda``)
  whose major version is torch's; without one, the compiler of the package
  index, of torch's CUDA major.minor version:

  - CUDA 13 and later: ``nvidia-cuda-nvcc`` (nvcc, ptxas, fatbinary,
    nvlink, cudafe++), ``nvidia-nvvm`` (cicc, libdevice), ``nvidia-cuda-crt``
    (``crt/host_config.h`` ...), ``nvidia-cuda-cccl`` (thrust, cub) and
    ``nvidia-cuda-runtime`` (headers, ``libcudart``), all installed into
    ``site-packages/nvidia/cu13/{bin,nvvm,include,lib}``;
  - CUDA 12: none. ``nvidia-cuda-nvcc-cu12`` ships ``ptxas`` and ``libnvvm``
    but no ``nvcc`` driver, so a CUDA 12 build of torch needs a CUDA 12
    toolkit of the machine (the plan says so);

  the index's compiler is used through a ``CUDA_HOME`` made of links
  (``<venv>/cuda-home``: ``bin``, ``nvvm``, the merged ``include`` folders of
  every ``nvidia`` package, ``lib64`` with the unversioned ``libcudart.so``
  that the linker needs); so is a machine's toolkit that lacks headers which
  torch's CUDA headers include (``cusparse.h``, ``cublas_v2.h`` ...: a
  toolkit of nvcc alone), its own folders first, then those of torch's
  ``nvidia`` packages;
- **wheel cache key**: ``torch-<version>-<variant>-py<XY>``, e.g.
  ``torch-2.14.1-cuda13.0-sm90-py311``.

Usage (with the venv's python, after torch is installed)::

    python tools/mmcv_build_plan.py plan            # what install.sh will do
    python tools/mmcv_build_plan.py plan --shell    # the same as shell lines
    python tools/mmcv_build_plan.py cuda-home       # link the index compiler
    python tools/mmcv_build_plan.py patch-source SRC  # prepare mmcv's source

``patch-source`` makes mmcv 2.1.0's ``setup.py`` ask for C++20 (torch
2.14's headers need it; mmcv asks for C++17).

Errors (``FORCE_CUDA=1`` with a CPU build of torch, no architecture to build
for, no compiler to be had) are one line on stderr and exit code 2.
"""
import argparse
import os
import os.path as osp
import re
import shlex
import shutil
import subprocess
import sys
import sysconfig
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Sequence, Tuple

# ``<venv>/cuda-home``: where the index compiler's CUDA_HOME is linked
CUDA_HOME_DIR = 'cuda-home'
# toolkit folders looked at after the environment's, ``{cuda}`` being
# torch's CUDA major.minor version
DEFAULT_TOOLKITS = ('/usr/local/cuda-{cuda}', '/usr/local/cuda')
# headers that torch's CUDA headers (ATen/cuda/CUDAContextLight.h) include
TORCH_CUDA_HEADERS = ('cuda_runtime.h', 'cublas_v2.h', 'cublasLt.h',
                      'cusparse.h', 'cusolverDn.h')
_ARCH = re.compile(r'^\d+\.\d+a?(\+PTX)?$')
# the line of mmcv 2.1.0's setup.py that names the ops' sources
_MMCV_SOURCES = '        ext_ops = extension(\n            name=ext_name,\n'


class PlanError(Exception):
    """The ops cannot be built as asked; the message says what to do."""


@dataclass
class Gpu:
    name: str
    capability: Tuple[int, int]


@dataclass
class TorchFacts:
    """What the plan needs to know of the installed torch.

    Attributes:
        version: ``torch.__version__``, e.g. ``'2.14.1+cu130'``.
        cuda: ``torch.version.cuda`` (``'13.0'``), None for a CPU build.
        gpus: The GPUs torch sees.
        arch_list: ``torch.cuda.get_arch_list()`` (``['sm_80', 'sm_90']``).
        python: ``'311'`` for Python 3.11.
        prefix: ``sys.prefix`` of the interpreter (the venv).
    """
    version: str
    cuda: Optional[str]
    gpus: List[Gpu] = field(default_factory=list)
    arch_list: List[str] = field(default_factory=list)
    python: str = f'{sys.version_info[0]}{sys.version_info[1]}'
    prefix: str = sys.prefix


@dataclass
class Toolkit:
    """A CUDA toolkit: ``home/bin/nvcc`` and ``home/include``, which may
    lack some of :data:`TORCH_CUDA_HEADERS` (``missing``)."""
    home: str
    nvcc: str
    version: str
    missing: List[str] = field(default_factory=list)


@dataclass
class BuildPlan:
    """How to build mmcv's ops.

    Attributes:
        variant: ``'cpu'`` or ``'cuda<major.minor>-<archs>'``, e.g.
            ``'cuda13.0-sm90'``; the venv's marker and the cache key hold it.
        reason: Why this variant, in words.
        cache_key: Folder name of the wheel cache.
        arch_list: ``TORCH_CUDA_ARCH_LIST`` of a CUDA build.
        arch_source: Where the architectures came from.
        toolkit: The machine's toolkit used, or None.
        nvcc_packages: Requirements to install from the package index for
            the compiler (empty unless the index provides it).
        link_cuda_home: Whether ``CUDA_HOME`` is a folder of links that
            ``cuda-home`` makes (``--toolkit`` the toolkit's home, if any).
        compiler_note: Which compiler and why, in words.
        env: The environment of the build command.
    """
    variant: str
    reason: str
    cache_key: str
    arch_list: List[str] = field(default_factory=list)
    arch_source: str = ''
    toolkit: Optional[Toolkit] = None
    nvcc_packages: List[str] = field(default_factory=list)
    link_cuda_home: bool = False
    compiler_note: str = ''
    env: Dict[str, str] = field(default_factory=dict)

    @property
    def cuda(self) -> bool:
        return self.variant != 'cpu'


def probe_torch() -> TorchFacts:
    """The facts of the torch this interpreter imports."""
    import torch
    cuda = torch.version.cuda
    gpus = []
    arch_list: List[str] = []
    if cuda and torch.cuda.is_available():
        gpus = [
            Gpu(
                torch.cuda.get_device_name(index),
                tuple(torch.cuda.get_device_capability(index)))
            for index in range(torch.cuda.device_count())
        ]
        arch_list = list(torch.cuda.get_arch_list())
    return TorchFacts(
        version=torch.__version__,
        cuda=cuda,
        gpus=gpus,
        arch_list=arch_list)


def nvcc_version(nvcc: str) -> Optional[str]:
    """``'13.0'`` from ``nvcc --version``; None when it does not run."""
    try:
        output = subprocess.run([nvcc, '--version'],
                                capture_output=True,
                                text=True,
                                timeout=60).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.search(r'release (\d+\.\d+)', output)
    return match.group(1) if match else None


def toolkit_at(home: str) -> Optional[Toolkit]:
    """The toolkit installed in ``home``, or None when there is none."""
    nvcc = osp.join(home, 'bin', 'nvcc')
    if not (os.access(nvcc, os.X_OK)
            and osp.isfile(osp.join(home, 'include', 'cuda_runtime.h'))):
        return None
    version = nvcc_version(nvcc)
    if not version:
        return None
    missing = [
        header for header in TORCH_CUDA_HEADERS
        if not osp.isfile(osp.join(home, 'include', header))
    ]
    return Toolkit(home, nvcc, version, missing)


def toolkit_homes(environ: Dict[str, str], cuda: str,
                  default_toolkits: Sequence[str]) -> List[str]:
    """Folders that may hold a toolkit, in the order they are tried."""
    homes = [environ.get('CUDA_HOME', ''), environ.get('CUDA_PATH', '')]
    for folder in environ.get('PATH', '').split(os.pathsep):
        nvcc = osp.join(folder, 'nvcc')
        if folder and os.access(nvcc, os.X_OK):
            # every nvcc on PATH, a link's target too (a wrapper script in
            # a folder without headers is no toolkit)
            homes.append(osp.dirname(osp.dirname(nvcc)))
            homes.append(osp.dirname(osp.dirname(osp.realpath(nvcc))))
    homes += [home.format(cuda=cuda) for home in default_toolkits]
    unique: List[str] = []
    for home in homes:
        if home and osp.realpath(home) not in map(osp.realpath, unique):
            unique.append(home)
    return unique


def index_packages(cuda: str) -> List[str]:
    """The package index's CUDA compiler for torch's CUDA version.

    Raises:
        PlanError: for CUDA versions whose index packages hold no nvcc.
    """
    major, minor = cuda.split('.')[:2]
    if int(major) < 13:
        raise PlanError(
            f'torch is a CUDA {cuda} build and this machine has no CUDA '
            f'{major} toolkit (nvcc); the package index has none for CUDA '
            f'{major} (nvidia-cuda-nvcc-cu{major} ships ptxas, not nvcc): '
            f'install the CUDA {major}.{minor} toolkit and set CUDA_HOME, '
            'or install a CUDA 13 build of torch')
    names = ('nvidia-cuda-nvcc', 'nvidia-nvvm', 'nvidia-cuda-crt',
             'nvidia-cuda-cccl', 'nvidia-cuda-runtime')
    return [f'{name}=={major}.{minor}.*' for name in names]


def arch_key(arch_list: Sequence[str]) -> str:
    """``'sm80-sm90+ptx'`` from ``['8.0', '9.0+PTX']``."""
    return '-'.join('sm' + arch.replace('.', '').replace('+PTX', '+ptx')
                    for arch in arch_list)


def cuda_arch_list(facts: TorchFacts,
                   environ: Dict[str, str]) -> Tuple[List[str], str]:
    """The architectures to build for and where they came from.

    Raises:
        PlanError: a malformed ``TORCH_CUDA_ARCH_LIST``, or none given and
            no GPU visible.
    """
    given = environ.get('TORCH_CUDA_ARCH_LIST', '').strip()
    if given and given != 'native':
        archs = [arch for arch in re.split(r'[;\s]+', given) if arch]
        bad = [arch for arch in archs if not _ARCH.match(arch)]
        if bad:
            raise PlanError(
                f'TORCH_CUDA_ARCH_LIST={given!r}: {bad[0]!r} is not an '
                "architecture such as '9.0' or '8.6+PTX'")
        return archs, 'TORCH_CUDA_ARCH_LIST'
    if not facts.gpus:
        raise PlanError(
            'no GPU is visible to tell the CUDA architectures: set '
            'TORCH_CUDA_ARCH_LIST, e.g. 9.0 for an H100 or 8.0 for an A100')
    known = [
        int(''.join(re.findall(r'\d+', arch.split('_')[1])))
        for arch in facts.arch_list if arch.startswith('sm_')
    ]
    newest = max(((sm // 10, sm % 10) for sm in known), default=None)
    capabilities = {
        min(gpu.capability, newest) if newest else gpu.capability
        for gpu in facts.gpus
    }
    return [f'{major}.{minor}' for major, minor in sorted(capabilities)
            ], 'the visible GPUs'


def choose_compiler(
        facts: TorchFacts,
        environ: Dict[str, str],
        default_toolkits: Sequence[str] = DEFAULT_TOOLKITS,
        find_toolkit: Callable[[str], Optional[Toolkit]] = toolkit_at
) -> Tuple[Optional[Toolkit], List[str], str]:
    """The machine's toolkit, or the index packages, for torch's CUDA.

    ``MMFEWSHOT_NVCC`` may name an nvcc to use, or ``index`` for the
    package index's compiler.

    Returns:
        ``(toolkit, packages, note)``: one of the first two is set.

    Raises:
        PlanError: ``MMFEWSHOT_NVCC`` names no usable nvcc, or neither the
            machine nor the index has a compiler of torch's major version.
    """
    cuda = facts.cuda
    major = cuda.split('.')[0]
    choice = environ.get('MMFEWSHOT_NVCC', '').strip()
    if choice == 'index':
        return None, index_packages(cuda), (
            f'nvcc {cuda} from the package index (MMFEWSHOT_NVCC=index)')
    if choice:
        home = osp.dirname(osp.dirname(choice))
        toolkit = find_toolkit(home)
        if toolkit is None:
            raise PlanError(f'MMFEWSHOT_NVCC={choice}: no CUDA toolkit '
                            f'there ({home}/bin/nvcc and {home}/include)')
        if toolkit.version.split('.')[0] != major:
            raise PlanError(f'MMFEWSHOT_NVCC={choice} is CUDA '
                            f'{toolkit.version}, torch is a CUDA {cuda} '
                            'build: the major versions must match')
        return toolkit, [], f'nvcc {toolkit.version} at {toolkit.nvcc} ' \
            '(MMFEWSHOT_NVCC)'
    others = []
    for home in toolkit_homes(environ, cuda, default_toolkits):
        toolkit = find_toolkit(home)
        if toolkit is None:
            continue
        if toolkit.version.split('.')[0] == major:
            return toolkit, [], (
                f'nvcc {toolkit.version} at {toolkit.nvcc} (torch is a CUDA '
                f'{cuda} build)')
        others.append(f'{toolkit.nvcc} is CUDA {toolkit.version}')
    found = f' ({"; ".join(others)})' if others else ''
    return None, index_packages(cuda), (
        f'no CUDA {major} nvcc on this machine{found}: nvcc {cuda} from the '
        'package index')


def make_plan(facts: TorchFacts,
              environ: Dict[str, str],
              max_jobs: int,
              default_toolkits: Sequence[str] = DEFAULT_TOOLKITS,
              find_toolkit: Callable[[str], Optional[Toolkit]] = toolkit_at
              ) -> BuildPlan:
    """Decide how to build mmcv's ops (see the module docstring).

    Args:
        facts: The installed torch (:func:`probe_torch`).
        environ: The environment (``FORCE_CUDA``, ``TORCH_CUDA_ARCH_LIST``,
            ``MMFEWSHOT_NVCC``, ``CUDA_HOME``, ``CUDA_PATH``, ``PATH``).
        max_jobs: Parallel compile jobs.
        default_toolkits: Toolkit folders tried after the environment's.
        find_toolkit: Reads the toolkit of a folder (:func:`toolkit_at`).

    Raises:
        PlanError: the ops cannot be built as asked.
    """
    torch_version = facts.version.split('+')[0]
    force = environ.get('FORCE_CUDA', '').strip()
    if force not in ('', '0', '1'):
        raise PlanError(f'FORCE_CUDA must be 0 or 1, got {force!r}')
    gpus = ', '.join(
        f'{gpu.name} ({gpu.capability[0]}.{gpu.capability[1]})'
        for gpu in facts.gpus)
    seen = f'{len(facts.gpus)} GPU(s): {gpus}' if facts.gpus else 'no GPU'
    env = {'MMCV_WITH_OPS': '1', 'MAX_JOBS': str(max_jobs)}
    if force == '1' and not facts.cuda:
        raise PlanError(f'FORCE_CUDA=1 but torch {facts.version} is a '
                        'CPU-only build: install a CUDA build of torch')
    if force == '1':
        reason = f'FORCE_CUDA=1; torch {facts.version} sees {seen}'
    elif not facts.cuda:
        reason = f'torch {facts.version} is a CPU-only build'
    elif force == '0':
        reason = f'FORCE_CUDA=0; torch {facts.version} sees {seen}'
    elif not facts.gpus:
        reason = (f'torch {facts.version} is a CUDA {facts.cuda} build but '
                  'sees no GPU; FORCE_CUDA=1 builds the CUDA ops anyway')
    else:
        reason = f'torch {facts.version} sees {seen}'
    if force == '0' or not facts.cuda or (not facts.gpus and force != '1'):
        env['FORCE_CUDA'] = '0'
        if facts.gpus:
            # mmcv builds CUDA ops whenever torch sees a GPU
            env['CUDA_VISIBLE_DEVICES'] = ''
        return BuildPlan(
            variant='cpu',
            reason=reason,
            cache_key=f'torch-{torch_version}-cpu-py{facts.python}',
            env=env)
    archs, arch_source = cuda_arch_list(facts, environ)
    toolkit, packages, note = choose_compiler(facts, environ,
                                              default_toolkits, find_toolkit)
    link = toolkit is None or bool(toolkit.missing)
    home = osp.join(facts.prefix, CUDA_HOME_DIR) if link else toolkit.home
    if toolkit is not None and toolkit.missing:
        note += (f'; its include lacks {", ".join(toolkit.missing)}: with '
                 f'those of torch\'s nvidia packages in {home}')
    variant = f'cuda{facts.cuda}-{arch_key(archs)}'
    env.update(
        FORCE_CUDA='1', TORCH_CUDA_ARCH_LIST=';'.join(archs), CUDA_HOME=home)
    return BuildPlan(
        variant=variant,
        reason=reason,
        cache_key=f'torch-{torch_version}-{variant}-py{facts.python}',
        arch_list=archs,
        arch_source=arch_source,
        toolkit=toolkit,
        nvcc_packages=packages,
        link_cuda_home=link,
        compiler_note=note,
        env=env)


def shell_lines(plan: BuildPlan) -> str:
    """The plan as bash assignments for ``eval`` (arrays for lists)."""

    def array(values: Sequence[str]) -> str:
        return '(' + ' '.join(shlex.quote(value) for value in values) + ')'

    lines = [
        f'MMCV_VARIANT={shlex.quote(plan.variant)}',
        f'MMCV_REASON={shlex.quote(plan.reason)}',
        f'MMCV_CACHE_KEY={shlex.quote(plan.cache_key)}',
        f'MMCV_COMPILER={shlex.quote(plan.compiler_note)}',
        f'MMCV_NVCC_PACKAGES={array(plan.nvcc_packages)}',
        f'MMCV_LINK_CUDA_HOME={array(link_args(plan))}',
        'MMCV_BUILD_ENV=' +
        array([f'{key}={value}' for key, value in plan.env.items()]),
    ]
    return '\n'.join(lines)


def link_args(plan: BuildPlan) -> List[str]:
    """Arguments of ``cuda-home`` for the plan, none when it links no
    ``CUDA_HOME``."""
    if not plan.link_cuda_home:
        return []
    args = ['--dest', plan.env['CUDA_HOME']]
    if plan.toolkit is not None:
        args += ['--toolkit', plan.toolkit.home]
    return args


def describe(plan: BuildPlan, cache_root: str, mmcv_source: str,
             python: str) -> str:
    """The plan in words, with the commands ``install.sh`` runs."""
    lines = [
        f'mmcv ops: {"CUDA" if plan.cuda else "CPU"}, because {plan.reason}'
    ]
    if plan.cuda:
        lines.append(f'CUDA architectures: {";".join(plan.arch_list)} '
                     f'(from {plan.arch_source})')
        lines.append(f'compiler: {plan.compiler_note}')
    wheel_dir = osp.join(cache_root, plan.cache_key)
    lines.append(f'wheel cache: {wheel_dir}')
    pip = f'{shlex.quote(python)} -m pip'
    if plan.nvcc_packages:
        lines.append(
            f'$ {pip} install ' +
            ' '.join(shlex.quote(req) for req in plan.nvcc_packages))
    if plan.link_cuda_home:
        lines.append(f'$ {shlex.quote(python)} tools/mmcv_build_plan.py '
                     'cuda-home ' +
                     ' '.join(shlex.quote(arg) for arg in link_args(plan)))
    env = ' '.join(f'{key}={shlex.quote(value)}'
                   for key, value in plan.env.items())
    lines.append(f'$ (cd {shlex.quote(mmcv_source)} && {env} {pip} wheel '
                 '--no-build-isolation --no-deps -w '
                 f'{shlex.quote(wheel_dir)} .)')
    return '\n'.join(lines)


def _merge_links(source: str, target: str) -> None:
    """Link every entry of folder ``source`` into folder ``target``; a
    folder present in both is merged entry by entry (first one wins for
    files)."""
    for name in sorted(os.listdir(source)):
        src = osp.join(source, name)
        dst = osp.join(target, name)
        if not osp.lexists(dst):
            os.symlink(src, dst)
        elif osp.isdir(src) and osp.isdir(dst):
            if osp.islink(dst):
                linked = os.readlink(dst)
                os.remove(dst)
                os.mkdir(dst)
                _merge_links(linked, dst)
            _merge_links(src, dst)


def make_cuda_home(site_packages: Sequence[str],
                   dest: str,
                   toolkit: Optional[str] = None) -> str:
    """Link a CUDA compiler and the headers torch needs into one folder.

    ``dest`` gets ``bin`` and ``nvvm`` of ``toolkit``, else of the package
    index's ``nvidia`` package holding nvcc; an ``include`` merging the
    headers of that toolkit or package and of every ``nvidia`` package of
    the ``site_packages`` folders (torch's cuBLAS, cuSPARSE ... headers), the
    first one's winning; and a ``lib64`` merged the same way, with the
    unversioned ``libcudart.so`` that the linker needs.

    Raises:
        PlanError: no toolkit given and no nvcc among the installed
            ``nvidia`` packages.
    """
    roots = [osp.join(site, 'nvidia') for site in site_packages]
    packages = [
        osp.join(root, name) for root in roots if osp.isdir(root)
        for name in sorted(os.listdir(root))
        if osp.isdir(osp.join(root, name))
    ]
    holders = [toolkit] if toolkit else [
        package for package in packages
        if os.access(osp.join(package, 'bin', 'nvcc'), os.X_OK)
    ]
    if not holders:
        raise PlanError(f'no nvcc among the nvidia packages of '
                        f'{" and ".join(roots)}: install the nvcc packages '
                        'of the plan first')
    top = holders[0]
    if osp.lexists(dest):
        shutil.rmtree(dest)
    os.makedirs(osp.join(dest, 'include'))
    os.makedirs(osp.join(dest, 'lib64'))
    os.symlink(osp.join(top, 'bin'), osp.join(dest, 'bin'))
    nvvm = [
        osp.join(package, 'nvvm') for package in [top] + packages
        if osp.isdir(osp.join(package, 'nvvm'))
    ]
    if nvvm:
        os.symlink(nvvm[0], osp.join(dest, 'nvvm'))
    for package in [top] + [p for p in packages if p != top]:
        for sub, target in (('include', 'include'), ('lib64', 'lib64'),
                            ('lib', 'lib64')):
            if osp.isdir(osp.join(package, sub)):
                _merge_links(osp.join(package, sub), osp.join(dest, target))
    lib64 = osp.join(dest, 'lib64')
    cudart = sorted(
        name for name in os.listdir(lib64)
        if re.fullmatch(r'libcudart\.so\.\d+(\.\d+)*', name))
    if cudart and not osp.lexists(osp.join(lib64, 'libcudart.so')):
        os.symlink(cudart[0], osp.join(lib64, 'libcudart.so'))
    return dest


def package_folders() -> List[str]:
    """Where the ``nvidia`` packages are: the folder holding torch (its
    CUDA libraries' headers) and this interpreter's ``purelib`` (where pip
    installs the compiler)."""
    import torch
    folders = [osp.dirname(osp.dirname(torch.__file__))]
    purelib = sysconfig.get_paths()['purelib']
    if osp.realpath(purelib) != osp.realpath(folders[0]):
        folders.append(purelib)
    return folders


def patch_mmcv_source(source: str) -> None:
    """Prepare mmcv 2.1.0's source folder (see the module docstring).

    Raises:
        PlanError: ``source`` holds no ``setup.py`` of mmcv 2.1.0.
    """
    path = osp.join(source, 'setup.py')
    text = open(path).read() if osp.isfile(path) else ''
    if _MMCV_SOURCES not in text or '-std=c++17' not in text:
        raise PlanError(f'{path} is not the setup.py of mmcv 2.1.0')
    with open(path, 'w') as file:
        file.write(text.replace('-std=c++17', '-std=c++20'))


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        description='Decide how install.sh builds mmcv\'s ops')
    sub = parser.add_subparsers(dest='command', required=True)
    plan_parser = sub.add_parser('plan', help='print the build plan')
    plan_parser.add_argument(
        '--shell', action='store_true', help='as bash assignments')
    plan_parser.add_argument(
        '--cache',
        default=osp.join(
            os.environ.get('MMFEWSHOT_CACHE',
                           osp.expanduser('~/.cache/mmfewshot')), 'wheels'),
        help='wheel cache folder')
    plan_parser.add_argument(
        '--max-jobs',
        type=int,
        default=int(os.environ.get('MAX_JOBS') or os.cpu_count() or 2))
    plan_parser.add_argument(
        '--mmcv-source',
        default='<mmcv source>',
        help='mmcv source folder shown in the build command')
    home_parser = sub.add_parser(
        'cuda-home',
        help='link the package index\'s compiler into <venv>/cuda-home')
    patch_parser = sub.add_parser(
        'patch-source', help='prepare mmcv\'s source folder for the build')
    patch_parser.add_argument('source', help='the unpacked mmcv 2.1.0')
    home_parser.add_argument('--dest', help='default: <venv>/cuda-home')
    home_parser.add_argument(
        '--toolkit',
        help='a toolkit of this machine whose include lacks headers torch '
        'needs (default: the package index\'s nvcc)')
    args = parser.parse_args(argv)
    try:
        if args.command == 'patch-source':
            patch_mmcv_source(args.source)
            return 0
        if args.command == 'cuda-home':
            print(
                make_cuda_home(
                    package_folders(), args.dest
                    or osp.join(sys.prefix, CUDA_HOME_DIR), args.toolkit))
            return 0
        plan = make_plan(probe_torch(), dict(os.environ), args.max_jobs)
    except PlanError as error:
        print(f'mmcv_build_plan: error: {error}', file=sys.stderr)
        return 2
    if args.shell:
        print(shell_lines(plan))
    else:
        print(describe(plan, args.cache, args.mmcv_source, sys.executable))
    return 0


if __name__ == '__main__':
    sys.exit(main())
