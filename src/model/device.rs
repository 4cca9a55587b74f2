//! Where and how the encoder computes: the [`Device`] and the CPU [`Precision`].

use candle_core::Device as CandleDevice;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Where the encoder runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Device {
    /// The CPU (always available).
    #[default]
    Cpu,
    /// An NVIDIA GPU by ordinal; needs the `cuda` cargo feature.
    Cuda(usize),
}

impl Device {
    pub(crate) fn to_candle(self) -> Result<CandleDevice> {
        match self {
            Device::Cpu => Ok(CandleDevice::Cpu),
            Device::Cuda(ordinal) => {
                if !cfg!(feature = "cuda") {
                    return Err(Error::Cuda(
                        "this build of tolka has no CUDA support; rebuild with `--features cuda`"
                            .into(),
                    ));
                }
                CandleDevice::new_cuda(ordinal).map_err(|e| Error::Cuda(e.to_string()))
            }
        }
    }
}

impl std::str::FromStr for Device {
    type Err = Error;

    /// Parses `cpu`, `cuda` or `cuda:N`.
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "cpu" => Ok(Device::Cpu),
            "cuda" => Ok(Device::Cuda(0)),
            _ => s
                .strip_prefix("cuda:")
                .and_then(|n| n.parse().ok())
                .map(Device::Cuda)
                .ok_or_else(|| Error::Config(format!("unknown device `{s}` (cpu, cuda, cuda:N)"))),
        }
    }
}

/// Arithmetic of the encoder's dense layers on the CPU.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Precision {
    /// 32-bit floats throughout (the reference).
    F32,
    /// The encoder's dense layers read their weights as 16-bit floats (rounded once at load,
    /// relative error ≤ 2⁻¹¹), converted to f32 in registers; activations, products and sums
    /// stay f32. Half the bytes to stream per token, which is what a short message waits
    /// for. Runs where the packed kernels run (x86-64 with AVX-512 or AVX2, FMA and F16C);
    /// elsewhere, and on accelerators, the encoder runs in f32. The default: on the shipped
    /// models' dev sets it changes no intent, and 3 of 5,426 GoEmotions sentiment labels
    /// (`docs/accuracy.md`).
    #[default]
    F16,
    /// The encoder's dense layers (≈ 95 % of the work) in int8: weights quantised per output
    /// channel at load, activations per token at run time, `i32` accumulation on AVX-512
    /// VNNI; attention, GELU and LayerNorm stay in f32. On a CPU without AVX-512 VNNI, and
    /// on accelerators, the encoder runs in f32 ([`Analyzer::precision`](crate::Analyzer::precision) says which ran).
    Int8,
}

impl std::str::FromStr for Precision {
    type Err = Error;

    /// Parses `f32`, `f16` or `int8`.
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "f32" => Ok(Precision::F32),
            "f16" => Ok(Precision::F16),
            "int8" => Ok(Precision::Int8),
            _ => Err(Error::Config(format!(
                "unknown precision `{s}` (f32, f16, int8)"
            ))),
        }
    }
}

#[cfg(all(test, feature = "cuda"))]
mod tests {
    use super::*;

    /// With a GPU, device 0 opens; without one (no device, or NVIDIA's stub driver library)
    /// the request is a typed error, not a panic. A machine with no `libcuda.so.1` at all
    /// cannot start a `cuda` build: candle links the driver library.
    #[test]
    fn cuda_device_opens_or_is_a_typed_error() {
        match Device::Cuda(0).to_candle() {
            Ok(device) => assert!(device.is_cuda()),
            Err(err) => assert!(matches!(err, Error::Cuda(_)), "{err}"),
        }
    }
}
