//! Task heads: small feed-forward networks on top of the encoder output.

use std::collections::HashMap;
use std::path::Path;

use candle_core::{Device, Module, Tensor};
use candle_nn::Linear;

use crate::error::{Error, Result};

/// A feed-forward head: `hidden` ReLU layers, then a linear output layer.
///
/// Tensors are named `{name}.{i}.weight` / `{name}.{i}.bias`, layer `i` from 0.
#[derive(Debug, Clone)]
pub(crate) struct Head {
    layers: Vec<Linear>,
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
        Ok(Self { layers })
    }

    /// Builds a head from layers (used by training).
    pub fn new(layers: Vec<Linear>) -> Self {
        Self { layers }
    }

    /// Logits for `xs` (`[..., input]` → `[..., output]`).
    pub fn forward(&self, xs: &Tensor) -> candle_core::Result<Tensor> {
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
