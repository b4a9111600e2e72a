"""The API reference covers the public API, and the model-zoo pages cover
every method folder (both without building the site: `make docs` does
that, with warnings as errors)."""
import importlib
import inspect
import pkgutil
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
API_PAGES = ROOT / 'docs' / 'api'
FIELDS = ('mmfewshot.classification', 'mmfewshot.detection')


def _directives(kind: str) -> set:
    found = set()
    for page in API_PAGES.glob('*.md'):
        found.update(
            re.findall(rf'^\.\. {kind}:: (\S+)$', page.read_text(), re.M))
    return found


def public_packages() -> list:
    """``mmfewshot.utils`` and every sub-package of the two fields that
    declares a public API (``__all__``)."""
    names = ['mmfewshot.utils']
    for field in FIELDS:
        package = importlib.import_module(field)
        for info in pkgutil.iter_modules(package.__path__):
            module = importlib.import_module(f'{field}.{info.name}')
            if info.ispkg and hasattr(module, '__all__'):
                names.append(module.__name__)
    return names


def test_every_public_package_has_an_api_section():
    documented = _directives('automodule')
    missing = [name for name in public_packages() if name not in documented]
    assert not missing, f'no automodule in docs/api/*.md for {missing}'


def test_every_public_name_is_documented():
    """autodoc leaves out members without a docstring and module-level
    data: every name of ``__all__`` is a documented class or function, or
    has an ``autodata`` entry."""
    data = {name.rsplit('.', 1)[1] for name in _directives('autodata')}
    problems = []
    for package_name in public_packages():
        package = sys.modules[package_name]
        for name in package.__all__:
            obj = getattr(package, name)
            if inspect.isclass(obj) or inspect.isroutine(obj):
                if not (obj.__doc__ or '').strip():
                    problems.append(f'{package_name}.{name}: no docstring')
            elif name not in data:
                problems.append(f'{package_name}.{name}: no autodata entry')
    assert not problems, '\n'.join(problems)


def test_model_zoo_pages_cover_every_method(tmp_path):
    sys.path.insert(0, str(ROOT / 'docs' / '_ext'))
    try:
        import model_zoo
    finally:
        sys.path.pop(0)
    written = model_zoo.generate(str(ROOT), str(tmp_path), '')
    for field in ('classification', 'detection'):
        methods = sorted(
            path.parent.name
            for path in (ROOT / 'configs' / field).glob('*/README.md')
            if not path.parent.name.startswith('_'))
        assert methods, field
        assert [
            name.split('/')[-1] for name in written
            if name.startswith(f'model_zoo/{field}/')
        ] == methods
        page = (tmp_path / 'model_zoo' / f'{field}.md').read_text()
        for method in methods:
            assert f'({field}/{method}.md)' in page, method
        # links to configs go to the published copy, images to copies
        # beside the pages: none stays relative to the README
        assert not re.search(
            r'\]\((?!https?:|#|[a-z_]+/[a-z_]+\.md|_images/)[^)]*\)', page)
        for image in re.findall(r'!\[[^]]*\]\((_images/[^)]+)\)', page):
            assert (tmp_path / 'model_zoo' / image).is_file(), image
    assert '<a href="../_configs/configs/classification/' in (
        tmp_path / 'model_zoo' / 'classification.md').read_text()
    tfa = (tmp_path / 'model_zoo' / 'detection' / 'tfa.md').read_text()
    assert 'Reference results' in tfa
    # every config of the method is linked from its page
    configs = sorted((ROOT / 'configs/detection/tfa').rglob('*.py'))
    assert configs and all(
        f'<a href="../../_configs/{path.relative_to(ROOT)}">' in tfa
        for path in configs)


def test_model_zoo_links_to_the_repository_when_known(tmp_path):
    sys.path.insert(0, str(ROOT / 'docs' / '_ext'))
    try:
        import model_zoo
    finally:
        sys.path.pop(0)
    url = 'https://github.com/someone/mmfewshot/blob/abc123'
    model_zoo.generate(str(ROOT), str(tmp_path), url)
    page = (tmp_path / 'model_zoo' / 'classification.md').read_text()
    assert (f'({url}/configs/classification/proto_net/cub/'
            'proto-net_conv4_1xb105_cub_5way-1shot.py)') in page
    assert '_configs' not in page
