//! Task heads: small feed-forward networks on top of the encoder output.

use std::collections::HashMap;
use std::path::Path;

use candle_core::{DType, Device, Module, Tensor};
use candle_nn::Linear;

use crate::error::{Error, Result};
use crate::model::cpu::Dense;

/// A feed-forward head: `hidden` ReLU layers, then a linear output layer.
///
/// Tensors are named `{name}.{i}.weight` / `{name}.{i}.bias`, layer `i` from 0.
#[derive(Debug, Clone)]
pub(crate) struct Head {
    layers: Vec<Linear>,
    /// The same layers on plain buffers, for analysis on the CPU.
    cpu: Option<Vec<Dense>>,
}

impl Head {
    /// Layer sizes `[input, hidden..., output]` of a head.
    pub fn sizes(input: usize, hidden: &[usize], output: usize) -> Vec<usize> {
        std::iter::once(input)
            .chain(hidden.iter().copied())
            .chain(std::iter::once(output))
            .collect()
    }

    /// Takes the head `name` with the given layer sizes out of `tensors`, checking shapes.
    pub fn from_tensors(
        tensors: &mut HashMap<String, Tensor>,
        name: &str,
        sizes: &[usize],
        path: &Path,
        device: &Device,
    ) -> Result<Self> {
        let mut take = |key: String, expected: Vec<usize>| -> Result<Tensor> {
            let tensor = tensors.remove(&key).ok_or_else(|| Error::HeadShape {
                path: path.to_owned(),
                head: key.clone(),
                expected: expected.clone(),
                found: Vec::new(),
            })?;
            if tensor.dims() != expected.as_slice() {
                return Err(Error::HeadShape {
                    path: path.to_owned(),
                    head: key,
                    expected,
                    found: tensor.dims().to_vec(),
                });
            }
            check_values(&tensor, &key, path)?;
            Ok(tensor.to_device(device)?)
        };
        let layers = sizes
            .windows(2)
            .enumerate()
            .map(|(i, io)| {
                let weight = take(format!("{name}.{i}.weight"), vec![io[1], io[0]])?;
                let bias = take(format!("{name}.{i}.bias"), vec![io[1]])?;
                Ok(Linear::new(weight, Some(bias)))
            })
            .collect::<Result<Vec<_>>>()?;
        let cpu = match device {
            Device::Cpu => Some(
                layers
                    .iter()
                    .map(|l| {
                        Dense::new(l.weight(), l.bias().expect("loaded with bias")).map(Dense::pack)
                    })
                    .collect::<candle_core::Result<Vec<_>>>()?,
            ),
            _ => None,
        };
        Ok(Self { layers, cpu })
    }

    /// Builds a head from layers (used by training).
    pub fn new(layers: Vec<Linear>) -> Self {
        Self { layers, cpu: None }
    }

    /// Logits for `xs` (`[..., input]` → `[..., output]`).
    pub fn forward(&self, xs: &Tensor) -> candle_core::Result<Tensor> {
        if let (Some(dense), true) = (&self.cpu, xs.device().is_cpu()) {
            let mut values = xs.flatten_all()?.to_vec1::<f32>()?;
            let rows = values.len() / xs.dim(candle_core::D::Minus1)?.max(1);
            for (i, layer) in dense.iter().enumerate() {
                if i > 0 {
                    values.iter_mut().for_each(|v| *v = v.max(0.0));
                }
                let mut out = vec![0f32; rows * layer.outputs()];
                layer.forward(&values, &mut out, false);
                values = out;
            }
            let mut dims = xs.dims().to_vec();
            if let (Some(last), Some(layer)) = (dims.last_mut(), dense.last()) {
                *last = layer.outputs();
            }
            return Tensor::from_vec(values, dims, xs.device());
        }
        let mut xs = xs.clone();
        for (i, layer) in self.layers.iter().enumerate() {
            if i > 0 {
                xs = xs.relu()?;
            }
            xs = layer.forward(&xs)?;
        }
        Ok(xs)
    }
}

/// Checks that a head tensor (`key` in the heads file `path`) holds finite F32 values.
pub(crate) fn check_values(tensor: &Tensor, key: &str, path: &Path) -> Result<()> {
    let bad = |reason: String| Error::HeadValues {
        path: path.to_owned(),
        head: key.to_owned(),
        reason,
    };
    if tensor.dtype() != DType::F32 {
        return Err(bad(format!("dtype {:?}, expected F32", tensor.dtype())));
    }
    let values = tensor.flatten_all()?.to_vec1::<f32>()?;
    if let Some(v) = values.iter().find(|v| !v.is_finite()) {
        return Err(bad(format!("holds {v}; weights must be finite")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The plain-buffer forward on the CPU computes what the candle layers compute.
    #[test]
    fn cpu_forward_matches_candle_layers() {
        let device = Device::Cpu;
        let sizes = Head::sizes(16, &[8], 5);
        let mut tensors = HashMap::new();
        for (i, io) in sizes.windows(2).enumerate() {
            let w = Tensor::randn(0f32, 1.0, (io[1], io[0]), &device).unwrap();
            let b = Tensor::randn(0f32, 1.0, io[1], &device).unwrap();
            tensors.insert(format!("h.{i}.weight"), w);
            tensors.insert(format!("h.{i}.bias"), b);
        }
        let head = Head::from_tensors(&mut tensors, "h", &sizes, Path::new("x"), &device).unwrap();
        assert!(head.cpu.is_some());
        let reference = Head::new(head.layers.clone());
        let xs = Tensor::randn(0f32, 1.0, (3, 4, 16), &device).unwrap();
        let fast = head.forward(&xs).unwrap();
        let slow = reference.forward(&xs).unwrap();
        assert_eq!(fast.dims(), &[3, 4, 5]);
        let diff = crate::model::max_abs_diff(&fast, &slow, None);
        assert!(diff < 1e-5, "max difference {diff}");
    }
}
