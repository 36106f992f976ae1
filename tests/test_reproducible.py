"""The comparison `make repro` (tools/check_reproducible.py) makes between a fresh run and
the stored outputs. The run itself is not repeated here: strict nbval, in `make test`,
executes every notebook and compares the same outputs after the same sanitize rules."""

import nbformat

from tools import check_reproducible


def test_the_comparison_notices_a_changed_number():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("print(1)", outputs=[
        nbformat.v4.new_output("stream", name="stdout", text="loss 0.1234\n")])]
    changed = nbformat.from_dict(nbformat.v4.new_notebook())
    changed.cells = [nbformat.v4.new_code_cell("print(1)", outputs=[
        nbformat.v4.new_output("stream", name="stdout", text="loss 0.1235\n")])]
    rules = check_reproducible.sanitize_rules()
    assert check_reproducible.differences(nb, changed, rules)
    assert not check_reproducible.differences(nb, nb, rules)
    ignored = nbformat.from_dict(changed)
    ignored.cells[0].source = "# NBVAL_IGNORE_OUTPUT\nprint(1)"
    assert not check_reproducible.differences(ignored, changed, rules)
    address = nbformat.from_dict(nb)
    address.cells[0].outputs[0].text = "<object at 0x7f3a2b1c9d80>\n"
    other = nbformat.from_dict(nb)
    other.cells[0].outputs[0].text = "<object at 0x7f00ffee1234>\n"
    assert not check_reproducible.differences(address, other, rules)


def test_a_print_split_into_several_stream_messages_is_the_same_output():
    def cell(*texts):
        nb = nbformat.v4.new_notebook()
        nb.cells = [nbformat.v4.new_code_cell("print('labels:', y)", outputs=[
            nbformat.v4.new_output("stream", name="stdout", text=t) for t in texts])]
        return nb

    rules = check_reproducible.sanitize_rules()
    whole, split = cell("labels: tensor([3, 7])\n"), cell("labels: ", "tensor([3, 7])\n")
    assert not check_reproducible.differences(whole, split, rules)
    assert check_reproducible.differences(whole, cell("labels: ", "tensor([3, 8])\n"), rules)
