import torch
import torch.nn.functional as F

from deepchorale.precision import inference_autocast, inference_dtype


def test_the_inference_dtype_is_what_the_inference_autocast_computes_in():
    cpu = torch.device("cpu")
    with torch.no_grad(), inference_autocast(cpu):
        out = F.conv2d(torch.ones(1, 2, 5, 5), torch.ones(3, 2, 3, 3), padding=1)
    assert out.dtype == inference_dtype(cpu)
