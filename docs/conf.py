"""Sphinx configuration of the mmfewshot documentation.

Build with ``make docs`` (warnings are errors) or
``python -m sphinx -W --keep-going -b html docs docs/_build/html``.
"""
import os
import os.path as osp
import sys

DOCS = osp.dirname(osp.abspath(__file__))
ROOT = osp.dirname(DOCS)
# the checkout's package, not an installed copy; the model-zoo extension
sys.path.insert(0, ROOT)
sys.path.insert(0, osp.join(DOCS, '_ext'))

from mmfewshot import __version__  # noqa: E402

project = 'mmfewshot'
author = 'mmfewshot contributors'
copyright = 'mmfewshot contributors'
version = release = __version__

extensions = [
    'sphinx.ext.autodoc',
    'sphinx.ext.napoleon',
    'sphinx.ext.viewcode',
    'myst_parser',
    'model_zoo',
]

source_suffix = {'.md': 'markdown'}
root_doc = 'index'
exclude_patterns = ['_build', 'Thumbs.db', '.DS_Store']
templates_path = []

# Markdown: fenced directives (```{automodule}), ::: blocks, anchors for
# the headings of every page down to level 3 (links like page.md#anchor)
myst_enable_extensions = ['colon_fence', 'deflist', 'attrs_inline']
myst_heading_anchors = 3

# API reference from the docstrings (Google style)
autodoc_default_options = {
    'members': True,
    'show-inheritance': True,
    'imported-members': True,
}
autodoc_member_order = 'bysource'
autodoc_typehints = 'description'
autodoc_typehints_description_target = 'documented'
autodoc_inherit_docstrings = False
autoclass_content = 'class'
napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_use_rtype = False
# types from the libraries underneath are not documented here: Sphinx
# would try to link every one of them
nitpicky = False


def _mmcv_has_ops() -> bool:
    try:
        import mmcv.ops  # noqa: F401
    except ImportError:
        return False
    return True


# Hosted builds (Read the Docs, docs/install_docs_env.sh) install mmcv
# without its compiled ops, which take minutes to build: the docstrings do
# not need them, so autodoc imports the package with mmcv.ops mocked.
if os.environ.get('MMFEWSHOT_DOCS_MOCK_OPS') or not _mmcv_has_ops():
    autodoc_mock_imports = ['mmcv.ops', 'mmcv._ext']

html_theme = 'furo'
html_title = f'mmfewshot {release}'
html_static_path = ['_static']
html_theme_options = {
    'navigation_with_keys': True,
}

# Where the model zoo links configs: the repository on the hosting service
# when known (Read the Docs, or MMFEWSHOT_DOCS_REPO_URL), else a copy of
# configs/ published with the site.
model_zoo_repo_url = os.environ.get('MMFEWSHOT_DOCS_REPO_URL', '')
