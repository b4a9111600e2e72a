"""The mmcv build plan of tools/install.sh (tools/mmcv_build_plan.py) from
faked environments: torch's CUDA version, the visible GPUs or
TORCH_CUDA_ARCH_LIST, and a CUDA toolkit on PATH or none."""
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location(
    'mmcv_build_plan', REPO / 'tools' / 'mmcv_build_plan.py')
plan_tool = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(plan_tool)

TORCH_HEADERS = plan_tool.TORCH_CUDA_HEADERS
H100 = plan_tool.Gpu('NVIDIA H100 80GB HBM3', (9, 0))
A6000 = plan_tool.Gpu('NVIDIA RTX A6000', (8, 6))
TORCH_ARCHS = ['sm_75', 'sm_80', 'sm_86', 'sm_90', 'sm_100', 'sm_120']
INDEX_13_0 = [
    'nvidia-cuda-nvcc==13.0.*', 'nvidia-nvvm==13.0.*',
    'nvidia-cuda-crt==13.0.*', 'nvidia-cuda-cccl==13.0.*',
    'nvidia-cuda-runtime==13.0.*'
]


def facts(cuda='13.0', gpus=(H100, ), archs=TORCH_ARCHS):
    return plan_tool.TorchFacts(
        version=f'2.14.1+cu{cuda.replace(".", "")}' if cuda else '2.14.1+cpu',
        cuda=cuda,
        gpus=list(gpus),
        arch_list=list(archs) if gpus else [],
        python='311',
        prefix='/venv')


def toolkits(missing=(), **versions):
    """A find_toolkit that knows the toolkits ``{home: version}``, whose
    include folders lack the headers ``missing``."""
    homes = {f'/{home}': version for home, version in versions.items()}

    def find(home):
        version = homes.get(home)
        if version is None:
            return None
        return plan_tool.Toolkit(home, f'{home}/bin/nvcc', version,
                                 list(missing))

    return find


def make_toolkit(folder, version='13.0', headers=TORCH_HEADERS):
    """A toolkit folder whose nvcc answers --version."""
    (folder / 'bin').mkdir(parents=True)
    (folder / 'include').mkdir()
    for header in headers:
        (folder / 'include' / header).write_text('')
    nvcc = folder / 'bin' / 'nvcc'
    nvcc.write_text('#!/bin/sh\necho "Cuda compilation tools, release '
                    f'{version}, V{version}.88"\n')
    nvcc.chmod(0o755)
    return nvcc


def plan(torch_facts, environ=None, find=None, defaults=('/opt_cuda', )):
    return plan_tool.make_plan(
        torch_facts,
        dict(environ or {}),
        max_jobs=16,
        default_toolkits=defaults,
        find_toolkit=find or toolkits())


def test_gpu_with_toolkit_builds_cuda_ops_for_its_arch():
    result = plan(facts(), find=toolkits(opt_cuda='13.0'))
    assert result.variant == 'cuda13.0-sm90'
    assert result.cache_key == 'torch-2.14.1-cuda13.0-sm90-py311'
    assert result.arch_source == 'the visible GPUs'
    assert result.nvcc_packages == []
    assert result.env == dict(
        MMCV_WITH_OPS='1',
        MAX_JOBS='16',
        FORCE_CUDA='1',
        TORCH_CUDA_ARCH_LIST='9.0',
        CUDA_HOME='/opt_cuda')
    assert 'sees 1 GPU(s): NVIDIA H100 80GB HBM3 (9.0)' in result.reason


def test_no_nvcc_takes_the_compiler_from_the_index():
    result = plan(facts())
    assert result.variant == 'cuda13.0-sm90'
    assert result.nvcc_packages == INDEX_13_0
    assert result.env['CUDA_HOME'] == '/venv/cuda-home'
    assert plan_tool.link_args(result) == ['--dest', '/venv/cuda-home']
    assert 'no CUDA 13 nvcc on this machine' in result.compiler_note


def test_toolkit_of_another_major_version_is_not_used():
    result = plan(facts(), find=toolkits(opt_cuda='12.4'))
    assert result.nvcc_packages == INDEX_13_0
    assert '/opt_cuda/bin/nvcc is CUDA 12.4' in result.compiler_note
    # a minor version apart is fine (torch only warns)
    result = plan(facts(cuda='13.2'), find=toolkits(opt_cuda='13.0'))
    assert result.env['CUDA_HOME'] == '/opt_cuda'
    assert result.variant == 'cuda13.2-sm90'


def test_cuda_home_comes_before_the_default_toolkits():
    result = plan(
        facts(),
        environ=dict(CUDA_HOME='/mine'),
        find=toolkits(mine='13.0', opt_cuda='13.0'))
    assert result.env['CUDA_HOME'] == '/mine'


def test_nvcc_on_path_is_found_through_a_wrapper(tmp_path):
    """An nvcc on PATH that is a script in a folder without headers (as
    /usr/local/bin/nvcc may be) is skipped; a real toolkit is used."""
    toolkit = tmp_path / 'cuda-13.0'
    nvcc = make_toolkit(toolkit)
    wrapper_dir = tmp_path / 'local' / 'bin'
    wrapper_dir.mkdir(parents=True)
    wrapper = wrapper_dir / 'nvcc'
    wrapper.write_text(f'#!/bin/sh\nexec {nvcc} "$@"\n')
    wrapper.chmod(0o755)
    result = plan_tool.make_plan(
        facts(),
        dict(PATH=f'{wrapper_dir}:{toolkit / "bin"}'),
        max_jobs=2,
        default_toolkits=())
    # the wrapper's folder has no include/cuda_runtime.h
    assert result.env['CUDA_HOME'] == str(toolkit)
    assert result.compiler_note.startswith(f'nvcc 13.0 at {nvcc}')
    assert not result.link_cuda_home


def test_toolkit_without_torchs_headers_gets_them_linked(tmp_path):
    """A toolkit of nvcc alone lacks the cuBLAS/cuSPARSE/cuSOLVER headers
    that torch's CUDA headers include: CUDA_HOME links its folders and
    those of torch's nvidia packages."""
    make_toolkit(tmp_path / 'cuda', headers=['cuda_runtime.h'])
    found = plan_tool.toolkit_at(str(tmp_path / 'cuda'))
    assert found.version == '13.0'
    assert found.missing == [
        'cublas_v2.h', 'cublasLt.h', 'cusparse.h', 'cusolverDn.h'
    ]
    result = plan(
        facts(), find=toolkits(missing=['cusparse.h'], opt_cuda='13.0'))
    assert result.link_cuda_home
    assert result.nvcc_packages == []
    assert result.env['CUDA_HOME'] == '/venv/cuda-home'
    assert 'its include lacks cusparse.h' in result.compiler_note
    assert plan_tool.link_args(result) == [
        '--dest', '/venv/cuda-home', '--toolkit', '/opt_cuda'
    ]
    assert "MMCV_LINK_CUDA_HOME=(--dest /venv/cuda-home --toolkit " \
        "/opt_cuda)" in plan_tool.shell_lines(result).splitlines()


def test_arch_list_from_the_environment_and_several_gpus():
    result = plan(
        facts(gpus=(H100, )),
        environ=dict(TORCH_CUDA_ARCH_LIST='8.0;9.0+PTX'),
        find=toolkits(opt_cuda='13.0'))
    assert result.env['TORCH_CUDA_ARCH_LIST'] == '8.0;9.0+PTX'
    assert result.variant == 'cuda13.0-sm80-sm90+ptx'
    assert result.arch_source == 'TORCH_CUDA_ARCH_LIST'
    result = plan(
        facts(gpus=(H100, A6000, H100)), find=toolkits(opt_cuda='13.0'))
    assert result.env['TORCH_CUDA_ARCH_LIST'] == '8.6;9.0'
    # a GPU newer than the torch build knows: its newest architecture
    future = plan_tool.Gpu('future', (13, 0))
    result = plan(facts(gpus=(future, )), find=toolkits(opt_cuda='13.0'))
    assert result.env['TORCH_CUDA_ARCH_LIST'] == '12.0'
    with pytest.raises(plan_tool.PlanError, match="'sm_90' is not an arch"):
        plan(facts(), environ=dict(TORCH_CUDA_ARCH_LIST='sm_90'))


def test_cpu_variants_and_force_cuda():
    no_gpu = plan(facts(gpus=()))
    assert no_gpu.variant == 'cpu'
    assert no_gpu.cache_key == 'torch-2.14.1-cpu-py311'
    assert no_gpu.env['FORCE_CUDA'] == '0'
    assert 'sees no GPU' in no_gpu.reason
    cpu_torch = plan(facts(cuda=None, gpus=()))
    assert cpu_torch.variant == 'cpu'
    assert 'CPU-only build' in cpu_torch.reason
    # FORCE_CUDA=0 on a GPU machine: mmcv must not see the GPU
    opted_out = plan(facts(), environ=dict(FORCE_CUDA='0'))
    assert opted_out.variant == 'cpu'
    assert opted_out.env['CUDA_VISIBLE_DEVICES'] == ''
    forced = plan(
        facts(gpus=()),
        environ=dict(FORCE_CUDA='1', TORCH_CUDA_ARCH_LIST='9.0'),
        find=toolkits(opt_cuda='13.0'))
    assert forced.variant == 'cuda13.0-sm90'
    with pytest.raises(plan_tool.PlanError, match='set TORCH_CUDA_ARCH_LIST'):
        plan(facts(gpus=()), environ=dict(FORCE_CUDA='1'))
    with pytest.raises(plan_tool.PlanError, match='CPU-only build'):
        plan(facts(cuda=None, gpus=()), environ=dict(FORCE_CUDA='1'))
    with pytest.raises(plan_tool.PlanError, match='FORCE_CUDA must be 0 or 1'):
        plan(facts(), environ=dict(FORCE_CUDA='yes'))


def test_cuda_12_without_a_toolkit_is_an_error_saying_why():
    with pytest.raises(plan_tool.PlanError, match='ships ptxas, not nvcc'):
        plan(facts(cuda='12.8'))
    result = plan(facts(cuda='12.8'), find=toolkits(opt_cuda='12.6'))
    assert result.env['CUDA_HOME'] == '/opt_cuda'


def test_mmfewshot_nvcc_chooses_the_compiler():
    result = plan(
        facts(),
        environ=dict(MMFEWSHOT_NVCC='index'),
        find=toolkits(opt_cuda='13.0'))
    assert result.nvcc_packages == INDEX_13_0
    result = plan(
        facts(),
        environ=dict(MMFEWSHOT_NVCC='/mine/bin/nvcc'),
        find=toolkits(mine='13.0', opt_cuda='13.0'))
    assert result.env['CUDA_HOME'] == '/mine'
    with pytest.raises(plan_tool.PlanError, match='the major versions'):
        plan(
            facts(),
            environ=dict(MMFEWSHOT_NVCC='/mine/bin/nvcc'),
            find=toolkits(mine='12.9'))
    with pytest.raises(plan_tool.PlanError, match='no CUDA toolkit there'):
        plan(facts(), environ=dict(MMFEWSHOT_NVCC='/nothing/bin/nvcc'))


def test_cuda_home_links_the_index_compiler(tmp_path):
    site = tmp_path / 'site-packages'
    cu13 = site / 'nvidia' / 'cu13'
    for folder in ('bin', 'nvvm/bin', 'include/crt', 'lib'):
        (cu13 / folder).mkdir(parents=True)
    (cu13 / 'bin' / 'nvcc').write_text('#!/bin/sh\n')
    (cu13 / 'bin' / 'nvcc').chmod(0o755)
    (cu13 / 'include' / 'cuda_runtime.h').write_text('')
    (cu13 / 'include' / 'crt' / 'host_config.h').write_text('')
    (cu13 / 'lib' / 'libcudart.so.13').write_text('')
    # torch's own nvidia packages may be in another folder (a venv over a
    # system torch): their headers are linked too
    torch_site = tmp_path / 'torch-site-packages'
    cudnn = torch_site / 'nvidia' / 'cudnn'
    (cudnn / 'include' / 'crt').mkdir(parents=True)
    (cudnn / 'include' / 'cudnn.h').write_text('')
    (cudnn / 'include' / 'crt' / 'other.h').write_text('')
    home = Path(
        plan_tool.make_cuda_home([str(site), str(torch_site)],
                                 str(tmp_path / 'home')))
    assert (home / 'bin' / 'nvcc').resolve() == cu13 / 'bin' / 'nvcc'
    assert (home / 'nvvm').resolve() == cu13 / 'nvvm'
    assert (home / 'include' / 'cuda_runtime.h').exists()
    assert (home / 'include' / 'cudnn.h').exists()
    # a folder of two packages is merged
    assert sorted(os.listdir(home / 'include' / 'crt')) == [
        'host_config.h', 'other.h'
    ]
    assert os.readlink(home / 'lib64' / 'libcudart.so') == 'libcudart.so.13'
    assert (home / 'lib64' / 'libcudart.so').exists()
    with pytest.raises(plan_tool.PlanError, match='no nvcc among'):
        plan_tool.make_cuda_home([str(tmp_path / 'empty')], str(home))
    # a machine's toolkit first, the packages' headers after it
    toolkit = tmp_path / 'cuda'
    make_toolkit(toolkit, headers=['cuda_runtime.h'])
    (toolkit / 'lib64').mkdir()
    (toolkit / 'lib64' / 'libcudart.so').write_text('toolkit')
    home = Path(
        plan_tool.make_cuda_home(
            [str(site), str(torch_site)],
            str(tmp_path / 'home'),
            toolkit=str(toolkit)))
    assert (home / 'bin').resolve() == toolkit / 'bin'
    assert (home / 'include' / 'cuda_runtime.h').resolve() == \
        toolkit / 'include' / 'cuda_runtime.h'
    assert (home / 'include' / 'cudnn.h').exists()
    assert (home / 'lib64' / 'libcudart.so').read_text() == 'toolkit'


FAKE_TORCH = '''
__version__ = '2.14.1+cu130'


class version:
    cuda = '13.0'


class cuda:
    is_available = staticmethod(lambda: True)
    device_count = staticmethod(lambda: 1)
    get_device_name = staticmethod(lambda index: 'NVIDIA H100 80GB HBM3')
    get_device_capability = staticmethod(lambda index: (9, 0))
    get_arch_list = staticmethod(lambda: ['sm_80', 'sm_90', 'sm_100'])
'''


@pytest.fixture
def fake_venv(tmp_path):
    """A venv whose python imports a fake torch 2.14.1+cu130 that sees an
    H100, and a CUDA 13.0 toolkit whose nvcc answers --version."""
    (tmp_path / 'fake' / 'torch').mkdir(parents=True)
    (tmp_path / 'fake' / 'torch' / '__init__.py').write_text(FAKE_TORCH)
    python = tmp_path / 'venv' / 'bin' / 'python'
    python.parent.mkdir(parents=True)
    python.write_text(f'#!/bin/sh\nPYTHONPATH={tmp_path / "fake"} '
                      f'exec {sys.executable} "$@"\n')
    python.chmod(0o755)
    make_toolkit(tmp_path / 'cuda')
    return tmp_path


def run_print_plan(fake_venv, **environ):
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ('CUDA_HOME', 'CUDA_PATH', 'FORCE_CUDA',
                       'TORCH_CUDA_ARCH_LIST', 'MMFEWSHOT_NVCC')
    }
    env.update(
        VENV=str(fake_venv / 'venv'),
        MMFEWSHOT_CACHE=str(fake_venv / 'cache'),
        MAX_JOBS='16',
        PATH=f'{fake_venv / "cuda" / "bin"}:/usr/bin:/bin')
    env.update(environ)
    return subprocess.run(
        ['bash', str(REPO / 'tools' / 'install.sh'), '--print-plan'],
        capture_output=True,
        text=True,
        env=env,
        timeout=60)


def test_install_print_plan_with_nvcc_on_path(fake_venv):
    result = run_print_plan(fake_venv)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == ('mmcv ops: CUDA, because torch 2.14.1+cu130 sees 1 '
                        'GPU(s): NVIDIA H100 80GB HBM3 (9.0)')
    assert lines[1] == 'CUDA architectures: 9.0 (from the visible GPUs)'
    nvcc = fake_venv / 'cuda' / 'bin' / 'nvcc'
    assert lines[2] == (f'compiler: nvcc 13.0 at {nvcc} (torch is a CUDA '
                        '13.0 build)')
    wheel_dir = fake_venv / 'cache' / 'wheels' / (
        'torch-2.14.1-cuda13.0-sm90-py'
        f'{sys.version_info[0]}{sys.version_info[1]}')
    assert lines[3] == f'wheel cache: {wheel_dir}'
    assert lines[4] == (
        '$ (cd mmcv-2.1.0 && MMCV_WITH_OPS=1 MAX_JOBS=16 FORCE_CUDA=1 '
        f'TORCH_CUDA_ARCH_LIST=9.0 CUDA_HOME={fake_venv / "cuda"} '
        f'{sys.executable} -m pip wheel --no-build-isolation --no-deps -w '
        f'{wheel_dir} .)')
    assert len(lines) == 5


def test_install_print_plan_with_the_index_compiler(fake_venv):
    result = run_print_plan(
        fake_venv, MMFEWSHOT_NVCC='index', TORCH_CUDA_ARCH_LIST='8.0 9.0')
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[1] == ('CUDA architectures: 8.0;9.0 (from '
                        'TORCH_CUDA_ARCH_LIST)')
    assert lines[4] == f'$ {sys.executable} -m pip install ' + ' '.join(
        f"'{requirement}'" for requirement in INDEX_13_0)
    home = Path(sys.prefix) / 'cuda-home'
    assert lines[5] == (f'$ {sys.executable} tools/mmcv_build_plan.py '
                        f'cuda-home --dest {home}')
    assert f"FORCE_CUDA=1 TORCH_CUDA_ARCH_LIST='8.0;9.0' CUDA_HOME={home} " \
        in lines[6]
    assert len(lines) == 7


def test_install_print_plan_errors_in_one_line(fake_venv):
    result = run_print_plan(fake_venv, TORCH_CUDA_ARCH_LIST='hopper!')
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "mmcv_build_plan: error: TORCH_CUDA_ARCH_LIST='hopper!': 'hopper!' "
        "is not an architecture such as '9.0' or '8.6+PTX'"
    ]
    missing = run_print_plan(fake_venv, VENV=str(fake_venv / 'none'))
    assert missing.returncode == 1
    assert 'does not exist yet' in missing.stderr


def test_patch_source_asks_for_cxx20(tmp_path):
    setup = tmp_path / 'setup.py'
    setup.write_text("import glob\n"
                     "extra = ['-std=c++17']\n"
                     "if True:\n" + plan_tool._MMCV_SOURCES +
                     "            sources=['a.cpp'])\n")
    plan_tool.patch_mmcv_source(str(tmp_path))
    assert "extra = ['-std=c++20']" in setup.read_text()
    setup.write_text('print("another setup.py")\n')
    with pytest.raises(plan_tool.PlanError, match='not the setup.py of mmcv'):
        plan_tool.patch_mmcv_source(str(tmp_path))
